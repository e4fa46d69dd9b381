"""Every user-facing string outside the content is in both languages."""

from __future__ import annotations

import re

from i18n import table, translate
from tests.conftest import PROJECT_ROOT


def test_swedish_and_english_have_the_same_keys():
    assert set(table("sv")) == set(table("en"))


def test_every_key_the_views_use_exists():
    used: set[str] = set()
    for path in [PROJECT_ROOT / "app.py", *(PROJECT_ROOT / "views").glob("*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", path.read_text(encoding="utf-8")))
    assert len(used) > 50
    missing = sorted(key for key in used if key not in table("sv"))
    assert not missing, missing
    for prefix in ("status_", "confidence_", "language_", "scenario_ending_", "role_"):
        assert any(key.startswith(prefix) for key in table("sv")), prefix


def test_placeholders_match_between_languages():
    for key, swedish in table("sv").items():
        assert set(re.findall(r"{(\w+)}", swedish)) == set(re.findall(r"{(\w+)}", table("en")[key])), key


def test_a_missing_key_shows_itself_instead_of_crashing():
    assert translate("en", "no_such_key") == "no_such_key"
    assert translate("en", "module_due", date="2027-01-01") == "Due 2027-01-01"
