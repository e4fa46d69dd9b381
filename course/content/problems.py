"""What the loader and the checks beside it share: a Problem (path:line: code message, and a hint), the legal
sources a citation may name, and how a schema error becomes problems with lines. Its own module, so that
checks the loader runs (course.content.coverage_config) need not import the loader back."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType, UnionType
from typing import Annotated, Any, Mapping, Union, get_args, get_origin

import yaml
from pydantic import ValidationError

from course.content.schema import Strict
from course.content.yamlload import LoadedYaml

LEGAL_SOURCES_FILE = Path(__file__).with_name("legal_sources.yaml")
PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "config"

_TYPE_WORDS = {
    "string_type": "ska vara text",
    "int_type": "ska vara ett heltal",
    "int_parsing": "ska vara ett heltal",
    "int_from_float": "ska vara ett heltal",
    "bool_type": "ska vara true eller false",
    "bool_parsing": "ska vara true eller false",
    "list_type": "ska vara en lista (rader som börjar med '- ')",
    "dict_type": "ska vara en mappning (nyckel: värde)",
    "model_type": "ska vara en mappning (nyckel: värde)",
    "model_attributes_type": "ska vara en mappning (nyckel: värde)",
}


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    code: str
    message: str
    hint: str = ""

    def as_text(self) -> str:
        head = f"{self.path}:{self.line}: {self.code} {self.message}"
        return f"{head}\n    tips: {self.hint}" if self.hint else head

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "code": self.code, "message": self.message, "hint": self.hint}


@dataclass(frozen=True)
class LegalSource:
    cite: str
    fakta: str
    certainty: str
    title: str


@cache
def legal_sources() -> Mapping[str, LegalSource]:
    data = yaml.safe_load(LEGAL_SOURCES_FILE.read_text(encoding="utf-8"))
    return MappingProxyType({entry["cite"]: LegalSource(**entry) for entry in data["sources"]})


def schema_problems(error: ValidationError, loaded: LoadedYaml, path: str, model: type[Strict]) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        where = ".".join(str(part) for part in loc) or "filen"
        parent = ".".join(str(part) for part in loc[:-1]) or "filens översta nivå"
        kind = item["type"]
        line = loaded.line_of(loc)
        if kind == "extra_forbidden":
            key = str(loc[-1])
            allowed = _allowed_keys(model, loc[:-1], loaded.data)
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f"Menade du '{close[0]}'?" if close else f"Tillåtna nycklar här: {', '.join(sorted(allowed))}."
            problems.append(Problem(path, line, "E101", f"Okänd nyckel '{key}' i {parent}.", hint))
        elif kind == "missing":
            problems.append(Problem(path, line, "E102", f"Fältet '{loc[-1]}' saknas i {parent}.",
                                    f"Lägg till '{loc[-1]}:' här; se schemat i course/content/schema.py."))
        else:
            problems.append(Problem(path, line, "E103", f"Fel värde i {where}: {_describe(item)}.",
                                    "Rätta värdet så att det följer schemat."))
    return problems


def _describe(item: dict[str, Any]) -> str:
    kind, ctx = item["type"], item.get("ctx") or {}
    if kind in _TYPE_WORDS:
        return _TYPE_WORDS[kind]
    if kind == "literal_error":
        return f"måste vara en av {ctx.get('expected')}"
    if kind == "too_short":
        return f"ska ha minst {ctx.get('min_length')} element"
    if kind == "string_too_short":
        return "får inte vara tom"
    if kind == "string_pattern_mismatch":
        return "ska bestå av små bokstäver a–z, siffror och bindestreck (t.ex. 'mutor-bygglov')"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        return f"ska vara {'minst' if kind == 'greater_than_equal' else 'högst'} {bound}"
    if kind == "value_error":
        return str(ctx.get("error", item["msg"]))
    return item["msg"]


def _allowed_keys(model: type[Strict], loc: tuple, data: Any = None) -> list[str]:
    """Field names of the model found at `loc`, walking the annotations through lists, dicts and Optionals."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, Strict):
            field_info = annotation.model_fields.get(str(part))
            annotation = field_info.annotation if field_info else None
        elif get_origin(annotation) in (list, tuple, dict):
            annotation = get_args(annotation)[-1]  # a list's item, a dict's value
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Strict):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` -> X."""
    while get_origin(annotation) in (Union, UnionType, Annotated):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        annotation = args[0]
    return annotation


# --- cross-file and graph checks -----------------------------------------------------------------------------


def settings_path(root: Path, explicit, filename: str) -> Path:
    """A settings file: `explicit`, else `root/config/<filename>`, else the project's own config/<filename>."""
    path = Path(explicit) if explicit else Path(root) / "config" / filename
    return PROJECT_CONFIG / filename if explicit is None and not path.exists() else path


def shown_path(path: Path, root: Path) -> str:
    """`path` as problems show it: relative to the content root where it lies under it."""
    path, root = Path(path), Path(root)
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
