"""The layering of ../shared/design.md, checked on the source: the engine (course/) and the store (progress/)
never import Streamlit, the engine never imports the store (its command line is composed in progress/cli.py),
and no package has an import cycle (an import inside a function counts: that is how cycles hide)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

PACKAGES = ("course", "progress", "views")


def _modules(package: str) -> dict[str, Path]:
    root = PROJECT_ROOT / package
    found = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


KNOWN = {name for package in PACKAGES for name in _modules(package)}


def _imports(path: Path, module: str) -> set[str]:
    """Every module `path` imports, anywhere in it, as absolute dotted names: `from x import y` is x.y when y is
    a module of the project, else x."""
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = {f"{base}.{alias.name}" for alias in node.names} & KNOWN
            names |= submodules if len(submodules) == len(node.names) else submodules | {base}
    return names




@pytest.mark.parametrize("package", ["course", "progress"])
def test_the_engine_and_the_store_never_import_streamlit(package):
    offenders = {name: sorted(i for i in _imports(path, name) if i.split(".")[0] == "streamlit")
                 for name, path in _modules(package).items()}
    assert not {name: found for name, found in offenders.items() if found}


def test_the_engine_never_imports_the_store():
    """course/ is below progress/: the store uses the engine, never the other way round. The one exception is
    course/__main__.py, the program `python -m course`, which only hands over to progress/cli.py (the command
    line above both) and is imported by nobody."""
    offenders = {name: sorted(i for i in _imports(path, name) if i.split(".")[0] == "progress")
                 for name, path in _modules("course").items() if name != "course.__main__"}
    assert not {name: found for name, found in offenders.items() if found}
    main = _modules("course")["course.__main__"]
    assert _imports(main, "course.__main__") <= {"sys", "progress.cli"}
    assert not any("course.__main__" in _imports(path, name) for package in PACKAGES
                   for name, path in _modules(package).items())


def test_only_the_store_touches_the_database():
    """design.md: only progress/ reads and writes; the views and the app draw what it returns. No module under
    views/ (nor app.py) imports SQLAlchemy or the tables, and neither does the engine."""
    sources = {**_modules("views"), **_modules("course"), "app": PROJECT_ROOT / "app.py"}
    offenders = {name: sorted(i for i in _imports(path, name) if i.split(".")[0] == "sqlalchemy"
                              or i == "progress.models")
                 for name, path in sources.items()}
    assert not {name: found for name, found in offenders.items() if found}


def _page_scripts() -> dict[str, Path]:
    """The views app.py serves as pages: (view, title key, icon, address) rows, read from app.py's own tables."""
    tree = ast.parse((PROJECT_ROOT / "app.py").read_text(encoding="utf-8"))
    views = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "").endswith(("_PAGES", "_PAGE")):
            rows = ast.literal_eval(node.value)
            views |= {row[0] for row in (rows if isinstance(rows[0], tuple) else (rows,))}
    return {view: PROJECT_ROOT / "views" / f"{view}.py" for view in views}


def test_page_scripts_define_no_classes():
    """Streamlit runs a page's script again on every rerun, so a class made at its top level (a dataclass costs
    about half a millisecond) is made again on every click of every learner: classes live in modules the page
    imports (views/components/), which Python imports once."""
    scripts = _page_scripts()
    assert {"learner", "manager", "accessibility"} <= set(scripts) and all(p.exists() for p in scripts.values())
    offenders = [f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}" for path in scripts.values()
                 for node in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(node, ast.ClassDef)]
    assert offenders == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        for target in sorted(graph[name]):
            if target in trail:
                cycles.append(trail[trail.index(target):] + [target])
            elif target not in done:
                visit(target, trail + [target])
        done.add(name)

    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    return cycles


def test_no_package_has_an_import_cycle():
    for package in PACKAGES:
        modules = _modules(package)
        graph = {name: {i for i in _imports(path, name) if i in modules and i != name}
                 for name, path in modules.items()}
        cycles = _cycles(graph)
        assert not cycles, f"{package}: {' → '.join(cycles[0])}"


def test_the_checks_would_see_a_violation(tmp_path):
    """The checks above read real imports: a function-level import is found, relative imports resolve."""
    sample = tmp_path / "progress" / "sample.py"
    sample.parent.mkdir()
    sample.write_text("def f():\n    import streamlit as st\n    from . import dashboard\n", encoding="utf-8")
    assert {"streamlit", "progress.dashboard"} <= _imports(sample, "progress.sample")
    assert "progress" not in _imports(sample, "progress.sample")  # `from . import dashboard` names a module
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_one_module_owns_the_unit_tree():
    """Issue 11: the unit tree and a manager's scope are computed in progress/unit_tree.py only: no other module
    builds a recursive query over units or walks their parent links (the importer checks an incoming file's
    tree for cycles before it is stored, and the seed writes the demo's units: both write, neither reads a scope)."""
    owners = {"progress/unit_tree.py", "progress/importer.py", "progress/seed.py", "progress/models.py"}
    found = []
    for package in PACKAGES:
        for path in _modules(package).values():
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if relative in owners:
                continue
            text = path.read_text(encoding="utf-8")
            for marker in ("recursive=True", "parent_id"):
                if marker in text:
                    found.append(f"{relative}: {marker}")
    assert found == []
    assert "recursive=True" in (PROJECT_ROOT / "progress" / "unit_tree.py").read_text(encoding="utf-8")


def test_every_chart_goes_through_the_readable_chart_helper():
    """Issue 13, point 5: Streamlit's Plotly theme draws chart texts at 3.7:1; views/components/charts.py sets
    them to the text colour, so no view calls Streamlit's plotly_chart itself."""
    helper = PROJECT_ROOT / "views" / "components" / "charts.py"
    callers = []
    for path in _modules("views").values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "plotly_chart" and path != helper:
                callers.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert callers == []
    assert "plotly_chart(readable(figure)" in helper.read_text(encoding="utf-8")
