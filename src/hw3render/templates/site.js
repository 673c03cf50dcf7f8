/* What a page of the `hw3 render` site does in the browser: search, copy buttons on code,
   heading anchors, cross-reference previews, the sidebar's parts opening and closing, the
   contents following the section in view, and landing on a linked target.

   It follows Quarto's site (quarto-cli src/resources/formats/html/templates/
   quarto-html-after-body.ejs for anchors, copy buttons and cross-reference hovers;
   src/resources/projects/website/search/quarto-search.js for the search: Fuse.js over
   title, section and text, ignoreLocation, threshold 0.1), with three differences the
   book needs: it works from file:// (the index is the script search.js, not fetched
   JSON; Quarto's search refuses file://), it folds Persian spelling variants, and a
   cross-reference to another page is previewed from the search index when that page
   cannot be fetched. The options come from _quarto.yml through body[data-options]. */
(function () {
  "use strict";

  const body = document.body;
  const options = JSON.parse(body.dataset.options || "{}");
  const words = options.language || {};
  const siteRoot = new URL(body.dataset.siteRoot || "./", window.location.href);
  const article = document.querySelector("article");
  const live = document.createElement("div");
  live.className = "visually-hidden";
  live.setAttribute("role", "status");
  body.append(live);

  /* ---- Folding: one spelling for what a reader may type in several ------------------ */

  // Arabic letters a Persian text may hold (or a reader type on an Arabic keyboard), and
  // the forms of alef, to the letter the book uses.
  const LETTERS = new Map(Object.entries({
    "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه",
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و",
  }));
  // Zero-width joiners and non-joiners (ZWNJ is optional in typed Persian), direction
  // marks, soft hyphens, tatweel and the short vowels: none changes the word.
  const DROPPED = /[\u00ad\u0640\u064b-\u065f\u0670\u06d6-\u06ed\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;
  const EDGE_PUNCTUATION = /^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu;

  /** The folded text, and for each of its characters the index of the original one. */
  function fold(text) {
    let out = "";
    const at = [];
    for (let i = 0; i < text.length; i++) {
      let ch = text[i];
      if (DROPPED.test(ch)) continue;
      const code = ch.charCodeAt(0);
      if (code >= 0x06f0 && code <= 0x06f9) ch = String(code - 0x06f0);       // Persian digits
      else if (code >= 0x0660 && code <= 0x0669) ch = String(code - 0x0660);  // Arabic digits
      else ch = LETTERS.get(ch) || ch.toLowerCase();
      if (/\s/.test(ch)) {
        if (out === "" || out.endsWith(" ")) continue;
        ch = " ";
      }
      for (const c of ch) {
        out += c;
        at.push(i);
      }
    }
    return { text: out, at };
  }

  /* ---- Search ------------------------------------------------------------------------ */

  const input = document.getElementById("quarto-search-input");
  const list = document.getElementById("quarto-search-results");
  const status = document.getElementById("quarto-search-status");
  let fuse;
  let folded;

  function searchIndex() {
    if (fuse === undefined) {
      const docs = window.hw3SearchIndex || [];
      folded = docs.map((doc) => fold(doc.text));
      const entries = docs.map((doc, i) => ({ title: fold(doc.title).text, section: fold(doc.section).text, text: folded[i].text }));
      fuse = new window.Fuse(entries, {
        keys: [{ name: "title", weight: 20 }, { name: "section", weight: 20 }, { name: "text", weight: 10 }],
        ignoreLocation: true,
        threshold: 0.1,
        includeMatches: true,
        useExtendedSearch: true,   // words separated by spaces must all match (each fuzzily)
      });
    }
    return fuse;
  }

  /** The query's words, folded, without the punctuation around them (which would read as
      Fuse's operators); empty for a query of only punctuation and spaces. */
  function queryWords(raw) {
    return fold(raw).text.split(" ").map((word) => word.replace(EDGE_PUNCTUATION, "")).filter(Boolean);
  }

  function snippet(index, match) {
    const text = window.hw3SearchIndex[index].text;
    const span = document.createElement("span");
    span.className = "search-result-text";
    if (!match) {
      span.textContent = text.slice(0, 160);
      return span;
    }
    const [start, end] = match.indices.reduce((a, b) => (b[1] - b[0] > a[1] - a[0] ? b : a));
    const from = folded[index].at[start];
    const to = folded[index].at[end] + 1;
    const mark = document.createElement("mark");
    mark.textContent = text.slice(from, to);
    const before = Math.max(0, from - 60);
    span.append((before > 0 ? "…" : "") + text.slice(before, from), mark, text.slice(to, to + 120) + "…");
    return span;
  }

  function showResults(raw) {
    list.replaceChildren();
    const wanted = queryWords(raw);
    if (wanted.length === 0) {          // nothing to look for: no list, no message
      list.hidden = true;
      status.textContent = "";
      return;
    }
    const results = searchIndex().search(wanted.join(" "), { limit: 20 });
    for (const result of results) {
      const doc = window.hw3SearchIndex[result.refIndex];
      const link = document.createElement("a");
      link.href = new URL(doc.href, siteRoot).href;
      link.className = "search-result-link";
      const title = document.createElement("span");
      title.className = "search-result-title";
      title.textContent = doc.section ? `${doc.title} › ${doc.section}` : doc.title;
      link.append(title, snippet(result.refIndex, result.matches.find((m) => m.key === "text")));
      const item = document.createElement("li");
      item.append(link);
      list.append(item);
    }
    list.hidden = results.length === 0;
    status.textContent = results.length === 0
      ? words["search-no-results-text"]
      : `${results.length} ${words["search-matching-documents-text"] || ""}`.trim();
  }

  function resultLinks() {
    return [...list.querySelectorAll("a")];
  }

  function setUpSearch() {
    let timer;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => showResults(input.value), 80);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && resultLinks().length) {
        event.preventDefault();
        resultLinks()[0].focus();
      } else if (event.key === "Enter") {
        clearTimeout(timer);
        showResults(input.value);
        const first = resultLinks()[0];
        if (first) first.click();
      } else if (event.key === "Escape") {
        input.value = "";
        showResults("");
      }
    });
    list.addEventListener("keydown", (event) => {
      const links = resultLinks();
      const at = links.indexOf(document.activeElement);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const next = at + (event.key === "ArrowDown" ? 1 : -1);
        (next < 0 ? input : links[Math.min(next, links.length - 1)]).focus();
      } else if (event.key === "Escape") {
        input.focus();
      }
    });
    // Quarto's keyboard-shortcut default: f, / or s puts the cursor in the search box.
    document.addEventListener("keydown", (event) => {
      const typing = event.target.closest("input, textarea, select, [contenteditable]");
      if (!typing && !event.ctrlKey && !event.metaKey && !event.altKey && ["f", "/", "s"].includes(event.key)) {
        event.preventDefault();
        input.focus();
      }
    });
  }

  /* ---- Code: a copy button on every block --------------------------------------------- */

  // Two sheets (copy) and a tick (copied), drawn here so no icon font is needed.
  const COPY_ICONS = '<svg class="icon-copy" viewBox="0 0 16 16" aria-hidden="true"><rect x="5.5" y="5.5" width="8.5" height="8.5" rx="1.5"/><path d="M10.5 5.5V3.5A1.5 1.5 0 0 0 9 2H3.5A1.5 1.5 0 0 0 2 3.5V9a1.5 1.5 0 0 0 1.5 1.5h2"/></svg>'
    + '<svg class="icon-copied" viewBox="0 0 16 16" aria-hidden="true"><path d="M3 8.5l3.2 3.2L13 4.8"/></svg>';

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      body.append(area);
      area.select();
      const copied = document.execCommand("copy");
      area.remove();
      return copied;
    }
  }

  function addCopyButtons() {
    for (const pre of article.querySelectorAll("pre")) {
      let holder = pre.parentElement.matches("div.sourceCode") ? pre.parentElement : null;
      if (!holder) {
        holder = document.createElement("div");
        pre.replaceWith(holder);
        holder.append(pre);
      }
      holder.classList.add("code-copy-outer-scaffold");
      pre.classList.add("code-with-copy");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "code-copy-button";
      button.title = words["copy-button-tooltip"];
      button.setAttribute("aria-label", words["copy-button-tooltip"]);
      button.innerHTML = COPY_ICONS;
      button.addEventListener("click", async () => {
        const code = pre.querySelector("code") || pre;
        if (await copyText(code.innerText)) {
          button.classList.add("code-copy-button-checked");
          button.title = words["copy-button-tooltip-success"];
          live.textContent = words["copy-button-tooltip-success"];
          setTimeout(() => {
            button.classList.remove("code-copy-button-checked");
            button.title = words["copy-button-tooltip"];
          }, 1000);
        }
      });
      holder.append(button);
    }
    body.classList.toggle("code-copy-hover", options.codeCopy === "hover");
  }

  /* ---- Headings: a link to each ------------------------------------------------------- */

  function addAnchors() {
    for (const heading of article.querySelectorAll("h2[id], h3[id], h4[id], h5[id], h6[id]")) {
      heading.classList.add("anchored");
      const anchor = document.createElement("a");
      anchor.className = "anchorjs-link";
      anchor.href = `#${heading.id}`;
      anchor.setAttribute("aria-label", words["anchor-label"]);
      anchor.textContent = "#";
      heading.append(anchor);
    }
  }

  /* ---- Cross-references: a preview on hover or focus ---------------------------------- */

  const preview = document.getElementById("quarto-xref-preview");
  const XREF = /^#(fig|tbl|sec)-/;
  let hideTimer;

  /** What Quarto's hover shows: a section's heading and its first paragraph, else the item. */
  function previewContent(id, target) {
    const box = document.createElement("div");
    if (id.startsWith("sec-")) {
      box.append(target.cloneNode(true));
      let next = target.nextElementSibling;
      while (next && next.textContent.trim() === "") next = next.nextElementSibling;
      if (next && !/^H[1-6]$/.test(next.tagName)) box.append(next.cloneNode(true));
    } else {
      box.append(target.cloneNode(true));
    }
    box.querySelectorAll(".anchorjs-link, .code-copy-button, [id]").forEach((el) => {
      if (el.matches(".anchorjs-link, .code-copy-button")) el.remove();
      else el.removeAttribute("id");   // the page keeps its ids unique
    });
    return box;
  }

  /** A section of another page, from the search index (a file:// page cannot fetch it). */
  function indexedPreview(url) {
    const href = url.href.slice(siteRoot.href.length);
    const doc = (window.hw3SearchIndex || []).find((entry) => entry.href === href);
    if (!doc) return null;
    const box = document.createElement("div");
    const heading = document.createElement("h2");
    heading.textContent = doc.section || doc.title;
    const text = document.createElement("p");
    text.textContent = doc.text.length > 320 ? `${doc.text.slice(0, 320)}…` : doc.text;
    box.append(heading, text);
    return box;
  }

  async function fetchedPreview(url, id) {
    if (window.location.protocol === "file:") return null;
    try {
      const page = new DOMParser().parseFromString(await (await fetch(url.href.split("#")[0])).text(), "text/html");
      const target = page.getElementById(id);
      if (!target) return null;
      target.querySelectorAll("img[src]").forEach((img) => { img.src = new URL(img.getAttribute("src"), url).href; });
      return previewContent(id, target);
    } catch {
      return null;
    }
  }

  async function showPreview(link, url) {
    clearTimeout(hideTimer);
    const id = decodeURIComponent(url.hash.slice(1));
    const samePage = url.href.split("#")[0] === window.location.href.split("#")[0];
    const target = samePage ? document.getElementById(id) : null;
    const content = target ? previewContent(id, target) : (indexedPreview(url) || await fetchedPreview(url, id));
    if (!content) return;
    preview.replaceChildren(content);
    preview.hidden = false;
    const box = link.getBoundingClientRect();
    const width = preview.offsetWidth;
    const right = Math.min(box.right, window.innerWidth - 8);   // right-to-left: aligned on the link's right
    preview.style.left = `${Math.max(8, right - width) + window.scrollX}px`;
    preview.style.top = `${box.bottom + 6 + window.scrollY}px`;
    link.setAttribute("aria-describedby", preview.id);
  }

  function hidePreview(delay) {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => { preview.hidden = true; }, delay);
  }

  function addPreviews() {
    for (const link of article.querySelectorAll("a[href*='#']")) {
      const url = new URL(link.getAttribute("href"), window.location.href);
      if (!XREF.test(url.hash) || link.matches(".anchorjs-link")) continue;
      link.classList.add("quarto-xref");
      link.addEventListener("mouseenter", () => showPreview(link, url));
      link.addEventListener("focus", () => showPreview(link, url));
      link.addEventListener("mouseleave", () => hidePreview(300));
      link.addEventListener("blur", () => hidePreview(0));
    }
    preview.addEventListener("mouseenter", () => clearTimeout(hideTimer));
    preview.addEventListener("mouseleave", () => hidePreview(300));
    document.addEventListener("keydown", (event) => { if (event.key === "Escape") hidePreview(0); });
  }

  /* ---- The sidebar's parts open and close (quarto-cli's sidebar does it with
     Bootstrap's collapse); the contents mark the section in view (quarto.js) ---------- */

  function setUpSidebarSections() {
    for (const toggle of document.querySelectorAll(".sidebar-item-section [aria-controls]")) {
      const flip = () => {
        const open = document.getElementById(toggle.getAttribute("aria-controls")).classList.toggle("show");
        toggle.parentElement.querySelectorAll("[aria-controls]").forEach((el) => el.setAttribute("aria-expanded", String(open)));
      };
      toggle.addEventListener("click", flip);
      toggle.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); flip(); }
      });
    }
  }

  function followSections() {
    const links = [...document.querySelectorAll('nav[role="doc-toc"] > ul a')];
    const targets = links.map((link) => document.getElementById(decodeURIComponent(link.hash.slice(1))));
    const mark = () => {
      let current = 0;
      targets.forEach((target, i) => { if (target && target.getBoundingClientRect().top < window.innerHeight / 3) current = i; });
      links.forEach((link, i) => link.classList.toggle("active", i === current));
    };
    links.forEach((link) => link.classList.add("nav-link"));
    mark();
    window.addEventListener("scroll", mark, { passive: true });
  }

  /* ---- Landing on a target: in view once the images above it have their height ------- */

  function showTarget() {
    const id = decodeURIComponent(window.location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (!target) return;
    target.scrollIntoView({ block: "start" });
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  }

  if (input && window.Fuse) setUpSearch();
  if (options.codeCopy !== false) addCopyButtons();
  if (options.anchorSections !== false) addAnchors();
  if (options.crossrefsHover !== false) addPreviews();
  setUpSidebarSections();
  followSections();
  window.addEventListener("load", showTarget);
  window.addEventListener("hashchange", showTarget);
}());
