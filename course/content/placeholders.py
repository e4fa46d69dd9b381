"""Placeholders such as {org.visselblasning.epost}: content refers to the municipality's own settings."""

from __future__ import annotations

import re
from typing import Any, Iterator

from pydantic import BaseModel

PLACEHOLDER = re.compile(r"\{(org\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)\}")


def flatten(settings: BaseModel) -> dict[str, str]:
    """{"org.namn": "...", "org.visselblasning.epost": "...", ...} for every leaf value."""
    values: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}", item)
        elif value is not None:
            values[prefix] = str(value)

    data = settings.model_dump(mode="json")
    data.pop("oversattningar", None)
    walk("org", data)
    return values


# Settings that are prose, not names or addresses: a translated module needs them in its own language.
PROSE = ("org.visselblasning.anonymt", "org.gavoregel.text", "org.gavoregel.nolltolerans", "org.riktlinjer.titel")
_CONTACT_ROLE = re.compile(r"org\.kontaktpersoner\.[a-z0-9_]+\.roll")


def is_prose(name: str) -> bool:
    return name in PROSE or bool(_CONTACT_ROLE.fullmatch(name))


def in_language(values: dict[str, str], settings: BaseModel, language: str) -> dict[str, str]:
    """The placeholder values for content in `language`: the Swedish ones, with that language's prose on top."""
    overrides = getattr(settings, "oversattningar", {}).get(language, {})
    return {**values, **{f"org.{key}": text for key, text in overrides.items()}}


def placeholders_in(data: Any, loc: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every (location, placeholder name) in a loaded YAML tree."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from placeholders_in(value, loc + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from placeholders_in(value, loc + (index,))
    elif isinstance(data, str):
        for match in PLACEHOLDER.finditer(data):
            yield loc, match.group(1)


def render(data: Any, values: dict[str, str]) -> Any:
    """The same tree with every known placeholder replaced by its value."""
    if isinstance(data, dict):
        return {key: render(value, values) for key, value in data.items()}
    if isinstance(data, list):
        return [render(value, values) for value in data]
    if isinstance(data, str) and "{org." in data:
        return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), data)
    return data
