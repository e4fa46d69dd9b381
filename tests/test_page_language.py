"""views/components/page_language.py: Streamlit's English words, in the page's language (the browser side is in
tests/test_journeys.py, which fails on an English word on a Swedish page)."""

from __future__ import annotations

import json
import re

from i18n import table
from views.components import page_language


def test_every_streamlit_word_has_its_translation_in_both_tables():
    keys = [key for _, key in page_language.TEXTS + page_language.LABELS + page_language.PATTERNS]
    for language in ("sv", "en"):
        missing = [key for key in keys if key not in table(language)]
        assert missing == [], (language, missing)
    for english, key in page_language.TEXTS + page_language.LABELS:
        assert table("en")[key] == english  # the English table keeps Streamlit's own words


def test_a_swedish_page_gets_swedish_words_and_an_english_page_none():
    swedish = page_language.words("sv")
    assert swedish["on"] and swedish["texts"]["Skip to main content"] == "Hoppa till huvudinnehållet"
    source, target = next(pair for pair in swedish["patterns"] if "MB per file" in pair[0])
    found = re.match(source, "20MB per file • CSV, XLSX")
    assert re.sub(r"\{(\d)\}", lambda m: found[int(m[1])], target) == "Högst 20 MB per fil • CSV, XLSX"
    assert page_language.words("en") == {"on": False, "texts": {}, "labels": {}, "patterns": []}


def test_the_script_holds_only_the_language_code_and_the_table_s_words():
    script = page_language.script("sv")
    assert script.startswith("<script>") and script.count("<script>") == 1
    assert 'document.documentElement.lang = "sv";' in script
    assert json.dumps(page_language.words("sv"), ensure_ascii=False) in script
    assert "</script" not in json.dumps(page_language.words("sv"), ensure_ascii=False)
