-- Block-level touches for the CLI-free renderer. Callouts as Quarto writes them
-- (::: {.callout-note} with an optional "## title" first line) become a titled box in
-- HTML and a call of hw3-callout in Typst; HTML tables get a wrapper that scrolls
-- sideways on a narrow screen instead of widening the page. A callout without a title
-- is titled by `language:` (callout-<kind>-title, passed as metadata), as in Quarto.
-- In HTML the markup is Quarto's, so that the book's stylesheets (report/_html/) hold
-- for both renderers: a callout as quarto-cli src/resources/filters/modules/callouts.lua
-- writes it for Bootstrap, a table with Bootstrap's `table` class (quarto-cli
-- src/format/html/format-html-bootstrap.ts), and the chapter's first heading taken out
-- of the text into the page's title block, as Quarto does with a book chapter's title,
-- so the table of contents starts at the chapter's sections (metadata chaptertitle and
-- chapterid, which templates/page.html places).
local default_titles = {}

local function read_titles(meta)
  for _, kind in ipairs({ "note", "warning", "important", "tip", "caution" }) do
    local title = meta["callout-" .. kind .. "-title"]
    if title then default_titles[kind] = pandoc.utils.stringify(title) end
  end
end

local function Div(el)
  for _, class in ipairs(el.classes) do
    local kind = class:match("^callout%-(%a+)$")
    if kind then
      local content = el.content
      local title = pandoc.Inlines(default_titles[kind] or kind)
      if #content > 0 and content[1].t == "Header" then
        title = content[1].content
        content:remove(1)
      elseif el.attributes["title"] then
        title = pandoc.Inlines(el.attributes["title"])
      end
      if FORMAT:match("typst") then
        local blocks = pandoc.Blocks({ pandoc.RawBlock("typst", '#hw3-callout(kind: "' .. kind .. '")[') })
        blocks:insert(pandoc.Para({ pandoc.Strong(title) }))
        blocks:extend(content)
        blocks:insert(pandoc.RawBlock("typst", "]"))
        return blocks
      end
      local icon = pandoc.Div({ pandoc.Plain({ pandoc.RawInline("html", '<i class="callout-icon"></i>') }) }, { class = "callout-icon-container" })
      local header = pandoc.Div({ icon, pandoc.Div({ pandoc.Plain(title) }, { class = "callout-title-container flex-fill" }) },
        { class = "callout-header d-flex align-content-center" })
      local body = pandoc.Div({ pandoc.Div(content, { class = "callout-body-container callout-body" }) }, { class = "callout-collapse collapse show" })
      return pandoc.Div({ header, body }, { class = "callout callout-style-default callout-" .. kind .. " callout-titled" })
    end
  end
end

local function Table(el)
  if FORMAT:match("html") then
    el.classes:insert("table")
    return pandoc.Div({ el }, { class = "table-wrap" })
  end
end

-- Cell output in Typst: a plain `raw` block without a language, which the style frames
-- as output, as Quarto's output (a code block without a language) is drawn. The Pandoc
-- here (3.9) highlights even a block without a language under --syntax-highlighting,
-- which the style would fill like code.
local function CodeBlock(el)
  if FORMAT:match("typst") and el.classes:includes("cell-output") then
    local text = el.text:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", "\\n")
    return pandoc.RawBlock("typst", '#raw(block: true, "' .. text .. '")')
  end
end

local function Pandoc(doc)
  if not FORMAT:match("html") then return nil end
  for i, block in ipairs(doc.blocks) do
    if block.t == "Header" and block.level == 1 then
      doc.meta.chaptertitle = pandoc.MetaInlines(block.content)
      doc.meta.chapterid = block.identifier
      doc.blocks:remove(i)
      return doc
    end
  end
end

return { { Meta = read_titles }, { Div = Div, Table = Table, CodeBlock = CodeBlock }, { Pandoc = Pandoc } }
