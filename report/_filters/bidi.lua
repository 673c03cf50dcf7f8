-- Latin inside Persian: every left-to-right run of a right-to-left paragraph becomes one
-- left-to-right unit, so that the Unicode bidi algorithm cannot reorder its pieces.
--
-- Why: in a right-to-left paragraph, digits that follow Persian letters are "Arabic
-- numbers" and the neutrals between them (×, →, =, parentheses, spaces) take the
-- paragraph's direction, so "32×32×128" reads "128×32×32", "(2⁵=32)" reads "(32=2⁵)",
-- "$128\to$ 64×64×64" loses its order, "parameters()" becomes "()parameters" and an
-- English citation broken across lines mirrors its parentheses. A run here is a stretch
-- of inlines that starts and ends with something left-to-right (a Latin letter or digit,
-- inline code, inline math, a citation in English words) and holds no Persian in
-- between; brackets opened inside it are closed inside it. A run without a space never
-- breaks across lines ("nearest-centroid", "5×5", an inline formula); a longer one may,
-- at its spaces.
--
-- Output: a Span with dir="ltr" (HTML: an isolate, per the HTML standard's rendering of
-- [dir]; class `nobreak` for unbreakable runs, styled in report/_html/hw3.css); in Typst,
-- calls of `hw3-ltr` / `hw3-ltr-word` from report/_typst/hw3-style.typ. Tables are left
-- alone (they are left-to-right already); their captions are not.
--
-- Citations are written by citeproc after this filter, in the words of the book's `lang`.
-- Under a right-to-left one they are right-to-left text with Latin names in it («Araujo و
-- همکاران 2019», «Dumoulin و Visin 2016»), which the bidi algorithm orders by itself in
-- a right-to-left paragraph; inside a left-to-right run the year would join the Persian
-- words beside it and read «Araujo 2019 و همکاران». So they start no run and join none.
--
-- Quarto runs it as a user filter (`filters:` in _quarto.yml), before its own filters
-- and citeproc; `hw3 render` passes the same list to Pandoc in the same place
-- (hw3render.site._pandoc_args).

local LTR, RTL, NEUTRAL, SPACE = "ltr", "rtl", "neutral", "space"

local function char_class(code)
  if (code >= 0x30 and code <= 0x39) or (code >= 0x41 and code <= 0x5A) or (code >= 0x61 and code <= 0x7A)
    or (code >= 0xC0 and code <= 0x24F and code ~= 0xD7 and code ~= 0xF7) or (code >= 0x370 and code <= 0x3FF)
    or code == 0xB2 or code == 0xB3 or code == 0xB9 or (code >= 0x2070 and code <= 0x209F) then
    return LTR
  end
  if (code >= 0x600 and code <= 0x6FF) or (code >= 0x750 and code <= 0x77F) or (code >= 0xFB50 and code <= 0xFDFF)
    or (code >= 0xFE70 and code <= 0xFEFF) or code == 0x200C or code == 0xAB or code == 0xBB then
    return RTL
  end
  if code == 0xA0 or code == 0x202F then return SPACE end
  return NEUTRAL
end

local OPENING, CLOSING = { ["("] = ")", ["["] = "]", ["{"] = "}" }, { [")"] = true, ["]"] = true, ["}"] = true }

-- Languages written right to left (the primary subtag of `lang`), and the direction the
-- book's citations are written in, which `lang` decides (read_lang).
local RTL_LANGUAGES = { ar = true, ckb = true, dv = true, fa = true, he = true, ks = true, ps = true, sd = true, ug = true, ur = true, yi = true }
local citations = LTR

local function read_lang(meta)
  local lang = meta.lang and pandoc.utils.stringify(meta.lang):match("^(%a+)")
  citations = lang and RTL_LANGUAGES[lang:lower()] and RTL or LTR
end

local function has(text, class)
  for _, code in utf8.codes(text) do
    if char_class(code) == class then return true end
  end
  return false
end

local function is_ltr_span(el)
  return el.t == "Span" and el.attributes["dir"] == "ltr"
end

-- The tokens of a list of inlines: { class, inline, text } where a Str is cut into
-- pieces of one class each (a piece's text is kept for the bracket and sign rules), a
-- bracket a piece of its own: so a run that closes a bracket ends at it, and the
-- sentence's full stop in «parameters().» stays outside the run.
local function tokens(inlines)
  local out = {}
  for _, el in ipairs(inlines) do
    if el.t == "Str" then
      local piece, class = {}, nil
      for _, code in utf8.codes(el.text) do
        local this, char = char_class(code), utf8.char(code)
        local bracket = OPENING[char] or CLOSING[char]
        if (this ~= class or bracket or OPENING[piece[#piece]] or CLOSING[piece[#piece]]) and #piece > 0 then
          out[#out + 1] = { class = class, text = table.concat(piece) }
          piece = {}
        end
        piece[#piece + 1], class = char, this
      end
      if #piece > 0 then out[#out + 1] = { class = class, text = table.concat(piece) } end
    elseif el.t == "Space" or el.t == "SoftBreak" then
      out[#out + 1] = { class = SPACE, inline = el }
    elseif el.t == "Math" and el.mathtype == "DisplayMath" then
      -- A display formula is a block of its own (centred, left-to-right by the style), never
      -- part of a run: wrapped in a run, Typst boxed it and it lost its centring.
      out[#out + 1] = { class = RTL, inline = el }
    elseif el.t == "Cite" then
      out[#out + 1] = { class = citations, inline = el }
    elseif el.t == "Code" or el.t == "Math" or is_ltr_span(el) then
      out[#out + 1] = { class = LTR, inline = el }
    else
      local text = pandoc.utils.stringify(el)
      local class = has(text, RTL) and RTL or (has(text, LTR) and LTR or NEUTRAL)
      if el.t == "LineBreak" or el.t == "Note" or el.t == "RawInline" then class = RTL end
      out[#out + 1] = { class = class, inline = el }
    end
  end
  return out
end

local function inline_of(token)
  return token.inline or pandoc.Str(token.text)
end

-- Where the run that starts at token `first` (a left-to-right one) ends: at its last
-- left-to-right token, or further if that closes a bracket opened inside the run, or a
-- sign or percent sign is glued to its first or last digit.
local function run_end(list, first)
  local last, depth, i = first, 0, first
  while i <= #list and list[i].class ~= RTL do
    local token = list[i]
    if token.class == LTR then last = i end
    if token.class == NEUTRAL and token.text then
      for char in token.text:gmatch(utf8.charpattern) do
        if OPENING[char] then depth = depth + 1
        elseif CLOSING[char] and depth > 0 then
          depth = depth - 1
          if depth == 0 then last = i end
        end
      end
    end
    i = i + 1
  end
  local after = list[last + 1]
  if after and after.text and after.text:match("^%%") then last = last + 1 end
  return last
end

local function is_sign(token)
  return token and token.text and (token.text == "-" or token.text == "−" or token.text == "+" or token.text == "±")
end

local function wrap(run)
  local unbreakable = true
  for _, token in ipairs(run) do
    if token.class == SPACE and token.inline then unbreakable = false end
  end
  local content = pandoc.Inlines({})
  for _, token in ipairs(run) do content:insert(inline_of(token)) end
  local classes = unbreakable and { "nobreak" } or {}
  return pandoc.Span(content, { dir = "ltr", class = table.concat(classes, " ") })
end

local function group(inlines)
  local list, out, i = tokens(inlines), pandoc.Inlines({}), 1
  while i <= #list do
    local token = list[i]
    if token.class == LTR then
      local first, last = i, run_end(list, i)
      if is_sign(list[first - 1]) and #out > 0 then
        out:remove(#out)
        first = first - 1
      end
      local run = {}
      for k = first, last do run[#run + 1] = list[k] end
      -- A citation never breaks across lines, even inside a longer run.
      for k, t in ipairs(run) do
        if t.inline and t.inline.t == "Cite" and #run > 1 then
          run[k] = { class = LTR, inline = wrap({ t }) }
        end
      end
      local text = {}
      for _, t in ipairs(run) do text[#text + 1] = t.text or "\0" end
      if #run == 1 and is_ltr_span(inline_of(run[1])) then
        out:insert(run[1].inline)
      elseif table.concat(text):match("^%d[%d.,]*$") then
        -- A bare number, which the bidi algorithm keeps in order by itself.
        out:insert(pandoc.Str(table.concat(text)))
      else
        out:insert(wrap(run))
      end
      i = last + 1
    else
      out:insert(inline_of(token))
      i = i + 1
    end
  end
  return out
end

local block_filter

-- Containers first (their own runs), then this list. Code, math and citations are kept
-- whole; a footnote's blocks are paragraphs of their own.
local function bidi_inlines(inlines)
  local walked = pandoc.Inlines({})
  for _, el in ipairs(inlines) do
    if el.t == "Note" then
      el = el:walk(block_filter)
    elseif el.t ~= "Cite" and el.t ~= "Image" and el.content then
      el.content = bidi_inlines(el.content)
    end
    walked:insert(el)
  end
  return group(walked)
end

local function with_inlines(el)
  el.content = bidi_inlines(el.content)
  return el, false
end

block_filter = {
  traverse = "topdown",
  Para = with_inlines,
  Plain = with_inlines,
  Header = with_inlines,
  CodeBlock = function(el) return el, false end,
  RawBlock = function(el) return el, false end,
  Table = function(table)
    table.caption.long = table.caption.long:walk(block_filter)
    return table, false
  end,
}

-- Typst has no dir attribute on spans; the style's functions take their place. The
-- trailing `;` ends the call, so text after it ("(", ".", "[") is not read as more
-- arguments or a field access.
local function typst_spans(inlines)
  local out = pandoc.Inlines({})
  for _, el in ipairs(inlines) do
    if el.t ~= "Cite" and el.t ~= "Image" and el.t ~= "Note" and el.content then
      el.content = typst_spans(el.content)
    end
    if is_ltr_span(el) then
      out:insert(pandoc.RawInline("typst", el.classes:includes("nobreak") and "#hw3-ltr-word[" or "#hw3-ltr["))
      out:extend(el.content)
      out:insert(pandoc.RawInline("typst", "];"))
    else
      out:insert(el)
    end
  end
  return out
end

if FORMAT:match("typst") then
  return { { Meta = read_lang }, block_filter, { Inlines = typst_spans } }
end
return { { Meta = read_lang }, block_filter }
