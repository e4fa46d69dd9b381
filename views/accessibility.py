"""Tillgänglighet (everyone, signed in or not): the accessibility statement that lag (2018:1937) om tillgänglighet
till digital offentlig service requires. The text is docs/tillganglighet.md (reviewed, in the repository, so
Markdown); its {org.…} placeholders are filled from config/organisation.yaml, the same values and the same
`placeholders.render` as the course content, each value escaped so that it shows as the text it is.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from course.content import placeholders
from course.plain import md_escape
from views.context import language, services, t

STATEMENT = Path(__file__).resolve().parent.parent / "docs" / "tillganglighet.md"

# An address of only these characters needs no escaping in a Markdown link, so it becomes one to write to:
# md_escape would put an invisible word joiner after the @, and a copied address would not work.
_PLAIN_EMAIL = re.compile(r"[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _as_markdown(value: str) -> str:
    if _PLAIN_EMAIL.fullmatch(value):
        return f"[{value}](mailto:{value})"
    return md_escape(value)


course = services().content.course  # app.py serves no page while the content has problems
organisation = course.organisation if course is not None else None
text = STATEMENT.read_text(encoding="utf-8")
settings = placeholders.flatten(organisation) if organisation is not None else {}
values = {name: _as_markdown(value) for name, value in settings.items()}  # Swedish ones: the text is Swedish
missing = sorted({name for name in placeholders.PLACEHOLDER.findall(text) if name not in values})

if language() != "sv":
    st.caption(t("accessibility_in_swedish"))
if missing:  # a setting taken out of organisation.yaml: say which, rather than show "{org.…}" to the reader
    st.warning(t("accessibility_missing_settings"))
    st.text("\n".join(missing))
st.markdown(placeholders.render(text, {**{name: "–" for name in missing}, **values}))
