"""The page's language, for a screen reader: the document's `lang`, and Streamlit's own English words in the
page's language.

Streamlit writes `<html lang="en">` whatever the content (streamlit issue 15726) and has English words of its
own that no API reaches: the skip link, the sidebar's button, "Press Enter to submit form" under a text field,
the file uploader's button and size line, "Help for …" on every help icon, the tables' toolbar. A screen reader
reads Swedish with an English voice, and English words with a Swedish one (WCAG 3.1.1 and 3.1.2). The script
below sets the language and puts those words in the page's language as they appear (a MutationObserver, since
Streamlit draws and redraws them at any time). The script is ours: constant code, and words from the
translation table (i18n/, keys `st_*`), JSON-encoded; nothing a user or a file gave. Where a Streamlit upgrade
changes a word, tests/test_journeys.py finds the English one on a Swedish page.
"""

from __future__ import annotations

import json

from i18n import DEFAULT_LANGUAGE, translate

# Streamlit 1.67's words: (what Streamlit writes, the translation key). Text is matched whole, after trimming.
TEXTS = (("Skip to main content", "st_skip_link"),
         ("Press Enter to apply", "st_enter_to_apply"),
         ("Press Enter to submit form", "st_enter_to_submit"),
         ("Press Ctrl+Enter to submit form", "st_ctrl_enter_to_submit"),
         ("Press ⌘+Enter to submit form", "st_cmd_enter_to_submit"),
         ("Upload", "st_upload"),
         ("Drag and drop file here", "st_drop_file"),
         ("Drag and drop files here", "st_drop_files"))
LABELS = (("Collapse sidebar", "st_collapse_sidebar"),
          ("Expand sidebar", "st_expand_sidebar"),
          ("Open", "st_open"),
          ("file upload", "st_file_upload"),
          ("Download as CSV", "st_download_csv"),
          ("Search", "st_search"),
          ("Fullscreen", "st_fullscreen"),
          ("Close fullscreen", "st_close_fullscreen"))
# Words with a part of their own: (a regular expression over the whole text, the key, with {1} for the group)
PATTERNS = ((r"^(\d+)MB per file(.*)$", "st_mb_per_file"),
            (r"^Help for (.+)$", "st_help_for"),
            (r"^Fullscreen: (.+)$", "st_fullscreen_of"))  # an image's button, named with its caption

_SCRIPT = """<script>
(() => {
  document.documentElement.lang = %(language)s;
  const words = %(words)s;
  window.__gransfallWords = words;
  if (window.__gransfallObserver) { window.__gransfallTranslate(document.body); return; }
  const swap = (text) => {
    const w = window.__gransfallWords, trimmed = text.trim();
    if (!trimmed) return null;
    if (Object.prototype.hasOwnProperty.call(w.texts, trimmed)) return w.texts[trimmed];
    for (const [source, target] of w.patterns) {
      const found = trimmed.match(new RegExp(source));
      if (found) return target.replace(/\\{(\\d)\\}/g, (_, n) => found[Number(n)] || "");
    }
    return null;
  };
  const translate = (root) => {
    const w = window.__gransfallWords;
    if (!root || !w.on) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const shown = swap(node.nodeValue);
      if (shown !== null && shown !== node.nodeValue) node.nodeValue = shown;
    }
    const labelled = root.querySelectorAll ? root.querySelectorAll("[aria-label], [title]") : [];
    for (const element of [root, ...labelled]) {
      if (!element.getAttribute) continue;
      for (const name of ["aria-label", "title"]) {
        const value = element.getAttribute(name);
        if (value === null) continue;
        const shown = Object.prototype.hasOwnProperty.call(w.labels, value.trim()) ? w.labels[value.trim()]
                      : swap(value);
        if (shown !== null && shown !== value) element.setAttribute(name, shown);
      }
    }
  };
  window.__gransfallTranslate = translate;
  window.__gransfallObserver = new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === "characterData") translate(change.target.parentElement);
      else if (change.type === "attributes") translate(change.target);
      else change.addedNodes.forEach((node) => translate(node.nodeType === 3 ? node.parentElement : node));
    }
  });
  window.__gransfallObserver.observe(document.body, {subtree: true, childList: true, characterData: true,
                                                     attributes: true, attributeFilter: ["aria-label", "title"]});
  translate(document.body);
})();
</script>"""


def words(language: str) -> dict:
    """Streamlit's English words in `language`: none to change on an English page."""
    on = language != "en"
    return {"on": on,
            "texts": {english: translate(language, key) for english, key in TEXTS} if on else {},
            "labels": {english: translate(language, key) for english, key in LABELS} if on else {},
            "patterns": [[source, translate(language, key)] for source, key in PATTERNS] if on else []}


def script(language: str = DEFAULT_LANGUAGE) -> str:
    """The <script> for st.html(..., unsafe_allow_javascript=True): the page's language and its words."""
    return _SCRIPT % {"language": json.dumps(language), "words": json.dumps(words(language), ensure_ascii=False)}
