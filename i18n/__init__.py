"""Every user-facing string outside the content, in Swedish (first) and English. `t("key", name=...)`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LANGUAGES = {"sv": "Svenska", "en": "English"}
DEFAULT_LANGUAGE = "sv"


@cache
def table(language: str) -> dict[str, str]:
    return yaml.safe_load((Path(__file__).parent / f"{language}.yaml").read_text(encoding="utf-8"))


def translate(language: str, key: str, **values) -> str:
    """The text for `key` in `language`, falling back to Swedish; a missing key shows itself, never crashes."""
    text = table(language).get(key) or table(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**values) if values else text
