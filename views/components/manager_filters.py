"""What the manager chose above the figures on Min enhet. Apart from the page script, which Streamlit runs again
on every rerun: a dataclass made there is made anew each time, and making one costs about a millisecond."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Filters:
    """What the manager chose above the figures; None: all of them."""

    unit_id: str | None
    role: str | None
    module_id: str | None
    start: date
    end: date
