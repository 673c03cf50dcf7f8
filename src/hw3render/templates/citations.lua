-- After citeproc, on a chapter page of a book that has a references page: every citation
-- links to its entry there, and the page's own copy of the list is dropped. Quarto's book
-- does the same after rendering (quarto-cli src/project/types/book/book-bibliography.ts:
-- each a[role=doc-biblioref] is pointed at the references page, the chapter's #refs hidden),
-- and its HTML sets link-citations: true (src/format/html/format-html-bootstrap.ts).
-- The references page's path, relative to this page, comes as metadata `references-page`.

local page = ""

return {
  {
    Meta = function(meta)
      page = pandoc.utils.stringify(meta["references-page"] or "")
    end,
  },
  {
    Link = function(link)
      if link.target:sub(1, 5) == "#ref-" then
        link.target = page .. link.target
        -- Pandoc marks only a link to "#ref-…" as a bibliography reference; keep the mark
        link.attributes.role = "doc-biblioref"
        return link
      end
    end,
    Div = function(div)
      if div.identifier == "refs" then
        return {}
      end
    end,
  },
}
