"""Trivial Streamlit page used by bench/postscript_gc.py.

The page itself does almost nothing per rerun, so the cost of a rerun is
dominated by Streamlit's own per-run overhead -- including, when
``runner.postScriptGC`` is on, the full ``gc.collect(2)`` that the script
runner performs after every run. A full collection walks every live
container object in the process, so the page keeps a realistic heap alive:

* pandas and plotly are imported at the top (as in a real app), which loads
  on the order of 100k tracked objects (modules, classes, functions, dicts);
* ``HEAP`` is a module-level name bound to ~200k small gc-tracked objects.

Note that a page script runs as a fresh ``__main__`` module on every rerun,
so a plain ``HEAP = [...]`` here would be rebuilt (and thrown away) on each
rerun -- that would benchmark allocation, not a large live heap. The list is
therefore built once per server process via ``st.cache_resource``, which is
how a real app keeps data or models alive between reruns.
"""

from __future__ import annotations

import os

import pandas as pd  # noqa: F401  (imported for its heap, like a real app)
import plotly.graph_objects as go  # noqa: F401  (imported for its heap)
import streamlit as st

HEAP_OBJECTS = int(os.environ.get("BENCH_HEAP_OBJECTS", "200000"))


@st.cache_resource
def _live_heap(n: int) -> list[list[int]]:
    # Small lists are always tracked by the cyclic GC (unlike tuples or dicts
    # of atomic values, which CPython untracks), so each one is walked by
    # every full collection, as a real app's objects would be.
    return [[i, i + 1] for i in range(n)]


HEAP = _live_heap(HEAP_OBJECTS)

st.title("Trivial page")
st.write(f"Live heap objects kept by this page: {len(HEAP):,}")
