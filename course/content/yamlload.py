"""YAML -> plain Python data, remembering the line of every value.

Built on PyYAML's composed node tree (the design card asks for PyYAML) rather than `yaml.safe_load`, because
safe_load silently keeps the last of two duplicate keys and reads `no`/`on`/`off` as booleans (YAML 1.1).
Here only `true`/`false` are booleans, duplicate keys are reported with both lines, and every mapping key
and list item gets a line in `lines`, keyed by its path (the same shape as pydantic's error `loc`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_BOOL_WORDS = {"true", "false"}
_scalar_loader = yaml.SafeLoader("")  # only used to construct scalars with YAML's implicit types


@dataclass(frozen=True)
class YamlProblem:
    line: int
    code: str
    message: str
    hint: str = ""


@dataclass
class LoadedYaml:
    path: Path
    data: Any = None
    lines: dict[tuple, int] = field(default_factory=dict)
    problems: list[YamlProblem] = field(default_factory=list)

    def line_of(self, loc: tuple) -> int:
        """The line of `loc`, or of its nearest ancestor that has one (a missing field: its parent)."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)


def load_yaml(path: Path, text: str | None = None) -> LoadedYaml:
    result = LoadedYaml(path=path)
    if text is None:
        text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        what = error.problem or "oläslig YAML"
        result.problems.append(
            YamlProblem(
                line,
                "E001",
                f"YAML-syntaxfel: {what}",
                "Kontrollera indrag (mellanslag, inte tabb), kolon efter nycklar och citattecken runt text som "
                "innehåller ': ' eller börjar med ett specialtecken.",
            )
        )
        return result
    except yaml.YAMLError as error:  # pragma: no cover - PyYAML raises marked errors for text input
        result.problems.append(YamlProblem(1, "E001", f"YAML-syntaxfel: {error}"))
        return result
    if node is None:
        result.problems.append(YamlProblem(1, "E002", "Filen är tom.", "Ta bort filen eller skriv innehållet."))
        return result
    result.data = _build(node, (), result)
    return result


def _build(node: yaml.Node, loc: tuple, result: LoadedYaml) -> Any:
    result.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        mapping: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            key_line = key_node.start_mark.line + 1
            if key in first_line:
                result.problems.append(
                    YamlProblem(
                        key_line,
                        "E003",
                        f"Nyckeln '{key}' står två gånger (först på rad {first_line[key]}).",
                        "Ta bort eller byt namn på den ena; annars skulle den sista tyst vinna.",
                    )
                )
                continue
            first_line[key] = key_line
            result.lines[loc + (key,)] = key_line
            mapping[key] = _build(value_node, loc + (key,), result)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, loc + (index,), result) for index, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    if node.tag == "tag:yaml.org,2002:bool" and node.value.lower() not in _BOOL_WORDS:
        return node.value  # 'no', 'on', 'off', 'yes': text, not YAML 1.1 booleans
    if node.tag in ("tag:yaml.org,2002:timestamp",):
        return node.value  # dates stay text; the schema parses what it needs
    return _scalar_loader.construct_object(node, deep=True)
