"""A scenario as a picture: its nodes, choices and endings in layers, as SVG, as DOT, or as text.

`scenario_graph(course, scenario_id)` reads the loaded course (each node's and choice's file and line come
from `Course.origins`, which the loader fills from the YAML's marks) and places every node on a layer: its
longest path from the start. A choice that leads back to a node on the way there (a cycle; the lint allows
one as long as an ending can still be reached) is a back edge: it does not count for the layers and is drawn
dashed. `render_svg`, `render_dot` and `render_text` draw the graph.

The layout is a small Sugiyama: an edge across more than one layer passes through a point on every layer in
between, so it never cuts through a box; the order within each layer follows the file at first and is then
improved by a few sweeps of the barycentre heuristic, keeping the order with the fewest crossings. No Graphviz
and no streamlit: pure Python, so the CLI, the admin page and the tests draw the same picture.

Every text in the SVG is escaped for XML (and stripped of characters XML cannot hold); an ending says its
outcome in words as well as in colour.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape

from course.content.loader import Course

# (fill, stroke) of a box; an ending's outcome is also written in its box
OUTCOME_COLOURS = {"bra": ("#e3f4e8", "#1b7a3d"), "delvis": ("#fff1cc", "#9a6200"),
                   "svag": ("#fde4e4", "#b42318")}
CHOICE_COLOURS = ("#f4f6f9", "#44546a")
EDGE_COLOUR = "#5b6b7f"
SWEEPS = 8  # barycentre sweeps (down, up, ...); the graphs are small


@dataclass(frozen=True)
class GraphNode:
    id: str
    text: str  # whitespace collapsed
    path: str  # relative to the content root, as the lint prints it
    line: int
    ending: str | None  # "bra", "delvis", "svag", or None for a choice point
    is_start: bool
    layer: int
    choices: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    number: int  # the choice's number in the file, from 1 (a learner sees them in an order drawn per attempt)
    text: str
    line: int
    back: bool  # leads back to a node on the way to its source (a cycle); not used for the layers


@dataclass(frozen=True)
class ScenarioGraph:
    scenario_id: str
    title: str
    path: str
    start: str
    nodes: tuple[GraphNode, ...]  # by layer, then left to right as drawn
    edges: tuple[GraphEdge, ...]  # in the file's order: by source, then by number
    # Each layer's items left to right: ("n", node_id), or ("d", edge_index, layer) where a long edge crosses it
    rows: tuple[tuple[tuple, ...], ...] = ()

    def node(self, node_id: str) -> GraphNode:
        return next(node for node in self.nodes if node.id == node_id)

    @property
    def layers(self) -> int:
        return 1 + max(node.layer for node in self.nodes)

    def outcome_counts(self) -> dict[str, int]:
        return {outcome: sum(node.ending == outcome for node in self.nodes) for outcome in OUTCOME_COLOURS}


@dataclass(frozen=True)
class Labels:
    """The words inside the picture (Swedish by default; the admin page passes its language's)."""

    start: str = "Start"
    ending: str = "Slut: {outcome}"
    summary: str = "{nodes} noder, {choices} val, {endings} slut"
    endings: str = "Slut:"
    numbers: str = "Numret på en pil är valets nummer i filen."


# --- the graph and its layers --------------------------------------------------------------------------------

def scenario_graph(course: Course, scenario_id: str) -> ScenarioGraph:
    """The scenario's nodes and choices with their files, lines and layers. KeyError for an unknown id."""
    scenario = course.scenarios[scenario_id]
    nodes = scenario.nodes
    back, topological = _back_edges(scenario.start, {n: [c.next for c in node.choices] for n, node in nodes.items()})
    layer = {node_id: 0 for node_id in nodes}
    for node_id in topological:
        for index, choice in enumerate(nodes[node_id].choices):
            if (node_id, index) not in back and choice.next in layer:
                layer[choice.next] = max(layer[choice.next], layer[node_id] + 1)
    scenario_origin = course.origins[f"scenario:{scenario_id}"]

    def origin(key: str):
        return course.origins.get(key, scenario_origin)

    graph_nodes = [GraphNode(node_id, _collapse(node.text), origin(f"node:{scenario_id}/{node_id}").path,
                             origin(f"node:{scenario_id}/{node_id}").line, node.ending, node_id == scenario.start,
                             layer[node_id], len(node.choices))
                   for node_id, node in nodes.items()]
    edges = [GraphEdge(node_id, choice.next, index + 1, _collapse(choice.text),
                       origin(f"choice:{scenario_id}/{node_id}/{index}").line, (node_id, index) in back)
             for node_id, node in nodes.items() for index, choice in enumerate(node.choices) if choice.next in nodes]
    graph = ScenarioGraph(scenario_id, _collapse(scenario.title), scenario_origin.path, scenario.start,
                          tuple(graph_nodes), tuple(edges))
    rows = tuple(tuple(row) for row in _ordered_rows(graph))
    position = {item[1]: (row, index) for row, items in enumerate(rows) for index, item in enumerate(items)
                if item[0] == "n"}
    ordered = tuple(sorted(graph_nodes, key=lambda node: position[node.id]))
    return dataclasses.replace(graph, nodes=ordered, rows=rows)


def _back_edges(start: str, targets: dict[str, list[str]]) -> tuple[set[tuple[str, int]], list[str]]:
    """Depth first from the start (then from any node not reached, in file order), choices in file order:
    the choices that lead to a node still on the path are back edges; the rest form a graph without cycles,
    and the reverse of the finishing order is a topological order of it."""
    state: dict[str, int] = {}  # 1 on the path, 2 done
    back: set[tuple[str, int]] = set()
    finished: list[str] = []
    for root in [start, *targets]:
        if root in state or root not in targets:
            continue
        state[root] = 1
        stack = [(root, iter(enumerate(targets[root])))]
        while stack:
            node_id, pending = stack[-1]
            for index, target in pending:
                if target not in targets:
                    continue
                if state.get(target) == 1:
                    back.add((node_id, index))
                elif target not in state:
                    state[target] = 1
                    stack.append((target, iter(enumerate(targets[target]))))
                    break
            else:
                state[node_id] = 2
                finished.append(node_id)
                stack.pop()
    return back, finished[::-1]


# --- order within the layers ---------------------------------------------------------------------------------

# An item on a row is ("n", node_id), or ("d", edge_index, layer): the point where a long edge crosses a layer.

def _chains(graph: ScenarioGraph) -> list[tuple[int, list[tuple]]]:
    """Each forward edge (by its index in graph.edges) as the items it passes, from its source to its target."""
    layer = {node.id: node.layer for node in graph.nodes}
    chains = []
    for index, edge in enumerate(graph.edges):
        if edge.back:
            continue
        between = [("d", index, level) for level in range(layer[edge.source] + 1, layer[edge.target])]
        chains.append((index, [("n", edge.source), *between, ("n", edge.target)]))
    return chains


def _ordered_rows(graph: ScenarioGraph) -> list[list[tuple]]:
    """The items of each layer, left to right: file order first, then barycentre sweeps (fewest crossings)."""
    layer = {node.id: node.layer for node in graph.nodes}
    # The file's order, read depth first from the start: a node's place is where the walk first meets it.
    walk: list[str] = []
    seen: set[str] = set()
    children: dict[str, list[str]] = {node.id: [] for node in graph.nodes}
    for edge in graph.edges:
        children[edge.source].append(edge.target)
    stack = [graph.start]
    pending = [node.id for node in graph.nodes]
    while stack or pending:
        node_id = stack.pop() if stack else pending.pop(0)
        if node_id in seen:
            continue
        seen.add(node_id)
        walk.append(node_id)
        stack.extend(reversed(children[node_id]))
    first_seen = {node_id: index for index, node_id in enumerate(walk)}
    rows: list[list[tuple]] = [[] for _ in range(1 + max(layer.values()))]
    key: dict[tuple, float] = {}
    for node_id in layer:
        item = ("n", node_id)
        rows[layer[node_id]].append(item)
        key[item] = first_seen[node_id]
    chains = _chains(graph)
    for edge_index, chain in chains:
        for item in chain[1:-1]:
            rows[item[2]].append(item)
            key[item] = first_seen[graph.edges[edge_index].source] + 0.5 + graph.edges[edge_index].number / 100
    for row in rows:
        row.sort(key=key.get)
    up: dict[tuple, list[tuple]] = {}
    down: dict[tuple, list[tuple]] = {}
    for _, chain in chains:
        for above, below in zip(chain, chain[1:]):
            down.setdefault(above, []).append(below)
            up.setdefault(below, []).append(above)
    best, best_crossings = [list(row) for row in rows], _crossings(rows, down)
    for sweep in range(SWEEPS):
        going_down = sweep % 2 == 0
        levels = range(1, len(rows)) if going_down else range(len(rows) - 2, -1, -1)
        for level in levels:
            neighbours = up if going_down else down
            other = rows[level - 1] if going_down else rows[level + 1]
            place = {item: index for index, item in enumerate(other)}
            current = {item: index for index, item in enumerate(rows[level])}

            def barycentre(item, place=place, current=current, neighbours=neighbours):
                linked = [place[n] for n in neighbours.get(item, []) if n in place]
                return (sum(linked) / len(linked) if linked else current[item], current[item])

            rows[level].sort(key=barycentre)
        crossings = _crossings(rows, down)
        if crossings < best_crossings:
            best, best_crossings = [list(row) for row in rows], crossings
    return best


def _crossings(rows: list[list[tuple]], down: dict[tuple, list[tuple]]) -> int:
    total = 0
    for level in range(len(rows) - 1):
        below = {item: index for index, item in enumerate(rows[level + 1])}
        segments = [(upper, below[target]) for upper, item in enumerate(rows[level])
                    for target in down.get(item, []) if target in below]
        total += sum(1 for i, (a1, b1) in enumerate(segments) for a2, b2 in segments[i + 1:]
                     if (a1 - a2) * (b1 - b2) < 0)
    return total


def crossings(graph: ScenarioGraph) -> int:
    """How many pairs of arrows cross in the drawn order (back edges not counted)."""
    down: dict[tuple, list[tuple]] = {}
    for _, chain in _chains(graph):
        for above, below in zip(chain, chain[1:]):
            down.setdefault(above, []).append(below)
    return _crossings([list(row) for row in graph.rows], down)


# --- text helpers --------------------------------------------------------------------------------------------

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _collapse(text: str) -> str:
    return " ".join(str(text).split())


def first_words(text: str, limit: int) -> str:
    """The first words of `text` within `limit` characters, with an ellipsis when something was left out."""
    text = _collapse(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and text[limit - 1] != " ":
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:–-") + "…"


def xml_text(value: object) -> str:
    """Text (or an attribute's value) for XML: escaped, without the characters XML 1.0 cannot hold."""
    return escape(_NOT_XML.sub("", str(value)), {'"': "&quot;", "'": "&apos;"})


def _wrapped(text: str, width: int, lines: int) -> list[str]:
    wrapped = textwrap.wrap(_collapse(text), width=width, break_long_words=True) or [""]
    if len(wrapped) <= lines:
        return wrapped
    return wrapped[: lines - 1] + [first_words(" ".join(wrapped[lines - 1:]), width)]


# --- SVG -----------------------------------------------------------------------------------------------------

MARGIN = 24
GAP_X = 32  # between items on a row
GAP_Y = 110  # between rows: room for the arrows and their labels
DUMMY_WIDTH = 16
PAD = 10
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
MONO = "ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'DejaVu Sans Mono', monospace"
CHAR = 6.4  # estimated width of a character at 11.5 px (sans); no font metrics without a browser
MONO_CHAR = 6.2  # at 10.5 px monospace
LABEL_CHAR = 6.1  # at 11 px
LABEL_WORDS = 26  # characters of a choice's first words on its arrow


@dataclass(frozen=True)
class _Box:
    x: float  # left
    y: float  # top
    width: float
    height: float
    lines: tuple[tuple[str, str], ...]  # (kind, text): kind picks the font


def render_svg(graph: ScenarioGraph, labels: Labels = Labels()) -> str:
    """The scenario as an SVG document (a string): one box per node, one arrow per choice."""
    rows = graph.rows
    nodes = {node.id: node for node in graph.nodes}
    width = min(420.0, max(240.0, max(len(node.where) for node in graph.nodes) * MONO_CHAR + 2 * PAD + 4))
    text_chars = int((width - 2 * PAD) / CHAR)
    contents = {node.id: _box_lines(node, labels, text_chars) for node in graph.nodes}
    line_height = {"start": 15, "id": 18, "text": 15, "where": 15, "ending": 18}
    height = {node_id: 2 * PAD + sum(line_height[kind] for kind, _ in lines) for node_id, lines in contents.items()}
    row_height = [max([height[item[1]] for item in row if item[0] == "n"] or [0]) for row in rows]
    header = 78
    tops = []
    y = MARGIN + header
    for level in range(len(rows)):
        tops.append(y)
        y += row_height[level] + GAP_Y
    row_widths = [sum(width if item[0] == "n" else DUMMY_WIDTH for item in row) + GAP_X * (len(row) - 1)
                  for row in rows]
    inner = max(row_widths)
    back_edges = [edge for edge in graph.edges if edge.back]
    extra = (70 + 18 * len(back_edges)) if back_edges else 0
    canvas_width = max(MARGIN * 2 + inner + extra, 560)
    canvas_height = y - GAP_Y + MARGIN
    centre: dict[tuple, float] = {}
    boxes: dict[str, _Box] = {}
    for level, row in enumerate(rows):
        x = MARGIN + (inner - row_widths[level]) / 2
        for item in row:
            item_width = width if item[0] == "n" else DUMMY_WIDTH
            centre[item] = x + item_width / 2
            if item[0] == "n":
                boxes[item[1]] = _Box(x, tops[level], width, height[item[1]], contents[item[1]])
            x += item_width + GAP_X

    # Ports: a node's arrows leave its bottom and reach its top spread out, in the order of where they go
    chains = dict(_chains(graph))
    out_ports: dict[int, tuple[float, float]] = {}
    in_ports: dict[int, tuple[float, float]] = {}
    for node_id, box in boxes.items():
        leaving = sorted((index for index in chains if graph.edges[index].source == node_id),
                         key=lambda index: (centre[chains[index][1]], graph.edges[index].number))
        for rank, index in enumerate(leaving):
            out_ports[index] = (box.x + box.width * (rank + 1) / (len(leaving) + 1), box.y + box.height)
        arriving = sorted((index for index in chains if graph.edges[index].target == node_id),
                          key=lambda index: (centre[chains[index][-2]], graph.edges[index].number))
        for rank, index in enumerate(arriving):
            in_ports[index] = (box.x + box.width * (rank + 1) / (len(arriving) + 1), box.y)
    siblings = {node_id: sorted((i for i in chains if graph.edges[i].source == node_id), key=lambda i: out_ports[i][0])
                for node_id in boxes}

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{canvas_width:.0f}" height="{canvas_height:.0f}" '
             f'viewBox="0 0 {canvas_width:.0f} {canvas_height:.0f}" role="img" aria-labelledby="graph-title" '
             f'font-family="{xml_text(FONT)}" data-scenario="{xml_text(graph.scenario_id)}">',
             f'<title id="graph-title">{xml_text(graph.title)} ({xml_text(graph.scenario_id)})</title>',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
             f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{EDGE_COLOUR}"/></marker></defs>',
             '<rect width="100%" height="100%" fill="#ffffff"/>']
    parts += _header(graph, labels)
    edge_parts: list[str] = []
    wanted: list[tuple] = []  # (edge, x and y of its curve's control points, where on it its label goes)
    for index, chain in chains.items():
        edge = graph.edges[index]
        points = [out_ports[index]]
        for item in chain[1:-1]:
            level = item[2]
            points += [(centre[item], tops[level]), (centre[item], tops[level] + row_height[level])]
        points.append(in_ports[index])
        path = [f"M {points[0][0]:.1f} {points[0][1]:.1f}"]
        for at in range(0, len(points), 2):  # between rows an S-curve, through a row a straight line
            (x1, y1), (x2, y2) = points[at], points[at + 1]
            middle = (y1 + y2) / 2
            path.append(f"C {x1:.1f} {middle:.1f} {x2:.1f} {middle:.1f} {x2:.1f} {y2:.1f}")
            if at + 2 < len(points):
                path.append(f"L {points[at + 2][0]:.1f} {points[at + 2][1]:.1f}")
        own = siblings[edge.source]
        (x1, y1), (x2, y2) = points[0], points[1]
        middle = (y1 + y2) / 2
        edge_parts.append(_edge(edge, " ".join(path), dashed=False))
        wanted.append((edge, (x1, x1, x2, x2), (y1, middle, middle, y2), (own.index(index) + 1) / (len(own) + 1)))
    for number, edge in enumerate(back_edges):
        source, target = boxes[edge.source], boxes[edge.target]
        right = max(source.x + source.width, target.x + target.width)
        offset = right + 40 + 18 * number
        sx, sy = source.x + source.width, source.y + source.height / 2
        tx, ty = target.x + target.width, target.y + target.height / 2
        if edge.source == edge.target:
            sy, ty = sy - 12, ty + 12
        path = f"M {sx:.1f} {sy:.1f} C {offset:.1f} {sy:.1f} {offset:.1f} {ty:.1f} {tx:.1f} {ty:.1f}"
        edge_parts.append(_edge(edge, path, dashed=True))
        wanted.append((edge, (sx, offset, offset, tx), (sy, sy, ty, ty), 0.5))
    parts += edge_parts
    parts += [_node(nodes[node_id], box) for node_id, box in boxes.items()]
    # Labels last, so that one stays readable over the lines it crosses; each slides along its arrow to where
    # it covers no other label and no box, if there is such a place.
    taken = [(box.x, box.y, box.width, box.height) for box in boxes.values()]
    for edge, xs, ys, t in wanted:
        rect = _free_place(edge, xs, ys, t, taken, canvas_width)
        taken.append(rect)
        parts.append(_edge_label(edge, rect))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _cubic(p0: float, p1: float, p2: float, p3: float, t: float) -> float:
    s = 1 - t
    return s * s * s * p0 + 3 * s * s * t * p1 + 3 * s * t * t * p2 + t * t * t * p3


def _box_lines(node: GraphNode, labels: Labels, text_chars: int) -> tuple[tuple[str, str], ...]:
    lines: list[tuple[str, str]] = []
    if node.is_start:
        lines.append(("start", f"▶ {labels.start}"))
    lines.append(("id", first_words(node.id, text_chars - 2)))
    lines += [("text", line) for line in _wrapped(node.text, text_chars, 2)]
    lines.append(("where", node.where))
    if node.ending:
        lines.append(("ending", labels.ending.format(outcome=node.ending)))
    return tuple(lines)


def _header(graph: ScenarioGraph, labels: Labels) -> list[str]:
    counts = graph.outcome_counts()
    summary = labels.summary.format(nodes=len(graph.nodes), choices=len(graph.edges), endings=sum(counts.values()))
    parts = [f'<text x="{MARGIN}" y="{MARGIN + 14}" font-size="16" font-weight="bold" fill="#1f2933">'
             f'{xml_text(graph.title)} ({xml_text(graph.scenario_id)})</text>',
             f'<text x="{MARGIN}" y="{MARGIN + 34}" font-size="12" fill="#3e4c59">'
             f'<tspan font-family="{xml_text(MONO)}">{xml_text(graph.path)}</tspan> · {xml_text(summary)}</text>']
    x = MARGIN
    y = MARGIN + 50
    parts.append(f'<text x="{x}" y="{y + 11}" font-size="12" fill="#3e4c59">{xml_text(labels.endings)}</text>')
    x += len(labels.endings) * CHAR + 10
    for outcome, (fill, stroke) in OUTCOME_COLOURS.items():
        text = f"{outcome} ({counts[outcome]})"
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="14" height="14" rx="3" fill="{fill}" stroke="{stroke}" '
                     f'stroke-width="2"/>')
        parts.append(f'<text x="{x + 20:.1f}" y="{y + 11}" font-size="12" fill="#1f2933">{xml_text(text)}</text>')
        x += 20 + len(text) * CHAR + 16
    parts.append(f'<text x="{x + 8:.1f}" y="{y + 11}" font-size="12" fill="#3e4c59">'
                 f'{xml_text(labels.numbers)}</text>')
    return parts


def _node(node: GraphNode, box: _Box) -> str:
    fill, stroke = OUTCOME_COLOURS.get(node.ending or "", CHOICE_COLOURS)
    kind = f"ending ending-{node.ending}" if node.ending else "choice"
    if node.is_start:
        kind += " start"
    parts = [f'<g class="node {kind}" data-node="{xml_text(node.id)}" data-where="{xml_text(node.where)}"'
             + (f' data-ending="{xml_text(node.ending)}"' if node.ending else "") + ">",
             f"<title>{xml_text(node.id)} ({xml_text(node.where)}): {xml_text(node.text)}</title>",
             f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" rx="8" '
             f'fill="{fill}" stroke="{stroke}" stroke-width="{3.5 if node.is_start else 1.5}"/>']
    y = box.y + PAD
    styles = {"start": (15, 'font-size="11" font-weight="bold" fill="#1f2933" letter-spacing="0.5"'),
              "id": (18, 'font-size="13.5" font-weight="bold" fill="#1f2933"'),
              "text": (15, 'font-size="11.5" fill="#323f4b"'),
              "where": (15, f'font-size="10.5" fill="#52606d" font-family="{xml_text(MONO)}"'),
              "ending": (18, f'font-size="12.5" font-weight="bold" fill="{stroke}"')}
    for kind_of_line, text in box.lines:
        step, style = styles[kind_of_line]
        y += step
        parts.append(f'<text class="{kind_of_line}" x="{box.x + PAD:.1f}" y="{y - 4:.1f}" {style}>'
                     f"{xml_text(text)}</text>")
    parts.append("</g>")
    return "\n".join(parts)


def _edge(edge: GraphEdge, path: str, dashed: bool) -> str:
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return (f'<g class="edge{" back" if edge.back else ""}" data-source="{xml_text(edge.source)}" '
            f'data-target="{xml_text(edge.target)}" data-choice="{edge.number}">'
            f"<title>{edge.number}. {xml_text(edge.text)}</title>"
            f'<path d="{path}" fill="none" stroke="{EDGE_COLOUR}" stroke-width="1.6"{dash} '
            'marker-end="url(#arrow)"/></g>')


def _label_rect(edge: GraphEdge, x: float, y: float, canvas_width: float) -> tuple[float, float, float, float]:
    words = first_words(edge.text, LABEL_WORDS)
    width = (len(words) + len(str(edge.number)) + 1) * LABEL_CHAR + 12
    return min(max(x - width / 2, 2), canvas_width - width - 2), y - 9, width, 18


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    across = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    down = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return across * down if across > 0 and down > 0 else 0.0


def _free_place(edge: GraphEdge, xs: tuple, ys: tuple, t: float, taken: list, canvas_width: float) -> tuple:
    """The label's place on its curve nearest to `t` that overlaps nothing taken, else the one that overlaps
    least."""
    candidates = [t] + [t + sign * step for step in (0.08, 0.16, 0.24, 0.32, 0.4) for sign in (-1, 1)]
    best, best_overlap = None, None
    for at in (c for c in candidates if 0.08 <= c <= 0.92):
        rect = _label_rect(edge, _cubic(*xs, at), _cubic(*ys, at), canvas_width)
        overlap = sum(_overlap(rect, other) for other in taken)
        if overlap == 0:
            return rect
        if best_overlap is None or overlap < best_overlap:
            best, best_overlap = rect, overlap
    return best or _label_rect(edge, _cubic(*xs, t), _cubic(*ys, t), canvas_width)


def _edge_label(edge: GraphEdge, rect: tuple[float, float, float, float]) -> str:
    left, top, width, height = rect
    return (f'<g class="choice-label" data-source="{xml_text(edge.source)}" data-choice="{edge.number}">'
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height}" rx="9" fill="#ffffff" '
            f'fill-opacity="0.94" stroke="{EDGE_COLOUR}" stroke-width="0.8"/>'
            f'<text x="{left + 6:.1f}" y="{top + 13:.1f}" font-size="11" fill="#1f2933">'
            f'<tspan font-weight="bold">{edge.number}</tspan> {xml_text(first_words(edge.text, LABEL_WORDS))}'
            '</text></g>')


# --- DOT and text --------------------------------------------------------------------------------------------

def _dot(value: str) -> str:
    return '"' + _NOT_XML.sub("", value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(graph: ScenarioGraph, labels: Labels = Labels()) -> str:
    """The same graph for Graphviz (`dot -Tsvg`), for anyone who has it; nothing here needs it."""
    lines = [f"digraph {_dot(graph.scenario_id)} {{",
             f"  label={_dot(f'{graph.title} ({graph.scenario_id}) – {graph.path}')}; labelloc=t;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for node in graph.nodes:
        fill, stroke = OUTCOME_COLOURS.get(node.ending or "", CHOICE_COLOURS)
        text = [labels.start] if node.is_start else []
        text += [node.id, first_words(node.text, 60), node.where]
        if node.ending:
            text.append(labels.ending.format(outcome=node.ending))
        label = "\\n".join(_dot(part)[1:-1] for part in text)
        width = ", penwidth=3" if node.is_start else ""
        lines.append(f'  {_dot(node.id)} [label="{label}", fillcolor="{fill}", color="{stroke}"{width}];')
    for edge in graph.edges:
        extra = ", style=dashed, constraint=false" if edge.back else ""
        lines.append(f"  {_dot(edge.source)} -> {_dot(edge.target)} "
                     f"[label={_dot(f'{edge.number} {first_words(edge.text, LABEL_WORDS)}')}{extra}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_text(graph: ScenarioGraph) -> str:
    """For a terminal: layer by layer, each node with its file:line, each choice with its number and target."""
    counts = graph.outcome_counts()
    endings = ", ".join(f"{outcome} {count}" for outcome, count in counts.items())
    lines = [f"{graph.title} ({graph.scenario_id})",
             f"{graph.path}: {len(graph.nodes)} noder, {len(graph.edges)} val, {sum(counts.values())} slut "
             f"({endings})"]
    for level in range(graph.layers):
        lines += ["", f"nivå {level}"]
        for node in (node for node in graph.nodes if node.layer == level):
            marks = (["start"] if node.is_start else []) + ([f"slut: {node.ending}"] if node.ending else [])
            shown = f" [{', '.join(marks)}]" if marks else ""
            lines.append(f"  {node.where}  {node.id}{shown}: {first_words(node.text, 70)}")
            for edge in (edge for edge in graph.edges if edge.source == node.id):
                back = " (tillbaka)" if edge.back else ""
                lines.append(f"      val {edge.number} -> {edge.target}{back}: {first_words(edge.text, 60)}")
    return "\n".join(lines) + "\n"
