"""A scenario as a picture (course.graph, python -m course graph, the admin page Scenariograf): one box per node
with its real file:line, one arrow per choice, every ending named by its outcome, valid XML whatever the text."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from course.cli import main
from course.graph import crossings, render_dot, render_svg, render_text, scenario_graph
from tests.conftest import FIXTURE_CONTENT, PROJECT_ROOT, loaded
from tests.test_app import downloads, open_app  # noqa: F401 (downloads is a fixture)

SVG = "{http://www.w3.org/2000/svg}"
PAGE = "views/scenario_graph.py"


def parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def groups(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if kind in (g.get("class") or "").split()]


def texts(element: ET.Element) -> list[str]:
    return ["".join(text.itertext()) for text in element.iter(f"{SVG}text")]


@pytest.mark.parametrize("scenario_id", ["prov-middag", "prov-gava"])
def test_the_svg_has_a_box_per_node_with_its_real_line_and_an_arrow_per_choice(fixture_course, scenario_id):
    scenario = fixture_course.scenarios[scenario_id]
    root = parsed(render_svg(scenario_graph(fixture_course, scenario_id)))
    boxes = {g.get("data-node"): g for g in groups(root, "node")}
    assert set(boxes) == set(scenario.nodes) and len(groups(root, "node")) == len(scenario.nodes)
    file_lines = (FIXTURE_CONTENT / f"scenarios/{scenario_id}.yaml").read_text(encoding="utf-8").splitlines()
    for node_id, box in boxes.items():
        where = box.get("data-where")
        path, line = where.rsplit(":", 1)
        assert path == f"scenarios/{scenario_id}.yaml"
        assert file_lines[int(line) - 1] == f"  {node_id}:", where  # the node's own line in its YAML file
        assert where in texts(box)  # written in the box, not only an attribute
    arrows = [(g.get("data-source"), g.get("data-target"), int(g.get("data-choice"))) for g in groups(root, "edge")]
    expected = [(node_id, choice.next, number) for node_id, node in scenario.nodes.items()
                for number, choice in enumerate(node.choices, 1)]
    assert sorted(arrows) == sorted(expected)
    labels = {(g.get("data-source"), int(g.get("data-choice"))): " ".join(texts(g))
              for g in groups(root, "choice-label")}
    for node_id, node in scenario.nodes.items():
        for number, choice in enumerate(node.choices, 1):
            assert labels[(node_id, number)].startswith(f"{number} {choice.text.split()[0]}")


def test_each_ending_is_coloured_and_named_by_its_outcome_and_the_start_is_marked(fixture_course):
    root = parsed(render_svg(scenario_graph(fixture_course, "prov-middag")))
    endings = {g.get("data-node"): g for g in groups(root, "ending")}
    assert {node_id: g.get("data-ending") for node_id, g in endings.items()} == {
        "slut-bra": "bra", "slut-delvis": "delvis", "slut-svag": "svag"}
    fills = set()
    for node_id, box in endings.items():
        outcome = box.get("data-ending")
        assert f"Slut: {outcome}" in texts(box)  # in words, not by colour alone
        fills.add(box.find(f"{SVG}rect").get("fill"))
    assert len(fills) == 3
    (start,) = groups(root, "start")
    assert start.get("data-node") == "start" and "▶ Start" in texts(start)
    assert not groups(groups(root, "choice")[-1], "start") and len(groups(root, "choice")) == 2


def test_layers_follow_the_longest_path_from_the_start(fixture_course):
    graph = scenario_graph(fixture_course, "prov-middag")
    assert {node.id: node.layer for node in graph.nodes} == {"start": 0, "chefen": 1, "slut-svag": 1,
                                                             "slut-bra": 2, "slut-delvis": 2}
    assert all(graph.node(e.target).layer > graph.node(e.source).layer for e in graph.edges)


def test_every_real_scenario_draws_as_valid_svg_with_forward_arrows():
    course = loaded(PROJECT_ROOT)
    for scenario_id, scenario in course.scenarios.items():
        graph = scenario_graph(course, scenario_id)
        assert all(graph.node(e.target).layer > graph.node(e.source).layer for e in graph.edges if not e.back)
        root = parsed(render_svg(graph))
        assert len(groups(root, "node")) == len(scenario.nodes), scenario_id
        assert len(groups(root, "edge")) == sum(len(node.choices) for node in scenario.nodes.values())
        for node in graph.nodes:
            origin = course.origins[f"node:{scenario_id}/{node.id}"]
            assert node.where == f"{origin.path}:{origin.line}"


def test_text_from_the_content_is_escaped(content):
    path = content / "scenarios/prov-middag.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("text: En sökande bjuder dig på middag.",
                        "text: 'Möte <script>alert(1)</script> & \"citat\" ]]> slut'")
    text = text.replace("- text: Tacka nej", "- text: 'Nej </text><g> & <b>'")
    text = text.replace("- text: Tacka ja", "- text: Tacka ja till middagen")  # not far shorter than it (E206)
    path.write_text(text, encoding="utf-8")
    svg = render_svg(scenario_graph(loaded(content), "prov-middag"))
    root = parsed(svg)
    assert "<script" not in svg and not list(root.iter(f"{SVG}script")) and not list(root.iter(f"{SVG}b"))
    start = next(g for g in groups(root, "node") if g.get("data-node") == "start")
    assert "Möte <script>alert(1)</script> & \"citat\" ]]> slut" in start.find(f"{SVG}title").text
    label = next(g for g in groups(root, "choice-label") if g.get("data-source") == "start"
                 and g.get("data-choice") == "1")
    assert " ".join(texts(label)).startswith("1 Nej </text><g>")
    assert 'label="' in render_dot(scenario_graph(loaded(content), "prov-middag"))


def test_a_choice_back_to_an_earlier_node_is_drawn_dashed_and_keeps_the_layers(content):
    path = content / "scenarios/prov-middag.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "  slut-bra:", "      - text: Börja om\n        next: start\n        feedback: Igen.\n"
                       "        cite: [\"Kommunens riktlinje\"]\n  slut-bra:")
    path.write_text(text, encoding="utf-8")
    graph = scenario_graph(loaded(content), "prov-middag")
    (back,) = [edge for edge in graph.edges if edge.back]
    assert (back.source, back.target, back.number) == ("chefen", "start", 3)
    assert graph.node("start").layer == 0 and graph.node("chefen").layer == 1
    root = parsed(render_svg(graph))
    (dashed,) = groups(root, "back")
    assert dashed.find(f"{SVG}path").get("stroke-dasharray")
    assert len(groups(root, "edge")) == 5
    assert "val 3 -> start (tillbaka)" in render_text(graph)


def test_the_order_within_a_layer_removes_a_crossing_the_file_order_has(content):
    # Read depth first, the file puts p, q, r in that order: a -> q then crosses b -> p. Swapping p and q
    # removes it.
    (content / "scenarios/prov-korsning.yaml").write_text("""id: prov-korsning
title: Korsningen
topics: [muta-tagande]
start: start
nodes:
  start:
    text: Start.
    choices:
      - {text: Till a, next: a, feedback: A., cite: ["BrB 10 kap. 5 a §"]}
      - {text: Till b, next: b, feedback: B., cite: ["BrB 10 kap. 5 a §"]}
  a:
    text: A.
    choices:
      - {text: Till p, next: p, feedback: P., cite: ["BrB 10 kap. 5 a §"]}
      - {text: Till q, next: q, feedback: Q., cite: ["BrB 10 kap. 5 a §"]}
  b:
    text: B.
    choices:
      - {text: Till p, next: p, feedback: P., cite: ["BrB 10 kap. 5 a §"]}
      - {text: Till r, next: r, feedback: R., cite: ["BrB 10 kap. 5 a §"]}
  p: {text: P., ending: bra}
  q: {text: Q., ending: delvis}
  r: {text: R., ending: svag}
""", encoding="utf-8")
    module = content / "modules/prov.yaml"  # a scenario no module uses is a lint error (E409)
    module.write_text(module.read_text(encoding="utf-8").replace("[prov-middag, prov-gava]",
                                                                 "[prov-middag, prov-gava, prov-korsning]"),
                      encoding="utf-8")
    graph = scenario_graph(loaded(content), "prov-korsning")
    assert crossings(graph) == 0
    assert [node.id for node in graph.nodes if node.layer == 2] == ["q", "p", "r"]


def test_the_cli_prints_text_and_writes_svg(tmp_path, capsys):
    assert main(["graph", "prov-middag", "--content-root", str(FIXTURE_CONTENT)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Middagen (prov-middag)\nscenarios/prov-middag.yaml: 5 noder, 4 val, 3 slut")
    assert "scenarios/prov-middag.yaml:6  start [start]: En sökande bjuder dig på middag." in out
    assert "      val 2 -> slut-svag: Tacka ja" in out
    assert "scenarios/prov-middag.yaml:31  slut-delvis [slut: delvis]: Nästan." in out
    target = tmp_path / "middag.svg"
    assert main(["graph", "prov-middag", "--content-root", str(FIXTURE_CONTENT), "--out", str(target)]) == 0
    assert "Skrev" in capsys.readouterr().err
    assert len(groups(parsed(target.read_text(encoding="utf-8")), "node")) == 5
    assert main(["graph", "prov-middag", "--content-root", str(FIXTURE_CONTENT), "--format", "dot"]) == 0
    assert capsys.readouterr().out.startswith('digraph "prov-middag" {')


def test_the_cli_refuses_an_unknown_scenario_in_swedish_with_close_matches(capsys):
    assert main(["graph", "prov-midag", "--content-root", str(FIXTURE_CONTENT)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("Scenariot 'prov-midag' finns inte. Menade du: prov-middag")
    assert main(["graph", "zzz", "--content-root", str(FIXTURE_CONTENT)]) == 2
    assert "Kursens scenarier: prov-gava, prov-middag." in capsys.readouterr().err


def test_the_admin_page_shows_the_picture_the_table_and_the_download(demo_env, downloads):
    at = open_app("demo-admin")
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert [title.value for title in at.title] == ["Scenariograf"]
    course = loaded(PROJECT_ROOT)
    chosen = at.selectbox(key="graph_scenario")
    assert chosen.options == [f"{course.scenarios[s].title} ({s})" for s in sorted(course.scenarios)]
    chosen.set_value("mutor-bygglov-middag").run()
    assert not at.exception, at.exception
    (image,) = at.image
    (url,) = image.value
    assert url.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(url.split(",", 1)[1]).decode("utf-8")
    scenario = course.scenarios["mutor-bygglov-middag"]
    assert len(groups(parsed(svg), "node")) == len(scenario.nodes)
    assert "Slut: svag" in svg
    (frame,) = [frame.value for frame in at.dataframe]
    assert list(frame.columns) == ["Nod", "Fil och rad", "Nivå", "Val", "Slut", "Början av texten"]
    assert len(frame) == len(scenario.nodes)
    assert frame.iloc[0]["Nod"] == "inbjudan (start)"
    assert frame.iloc[0]["Fil och rad"] == "scenarios/mutor-bygglov-middag.yaml:8"
    assert set(frame["Slut"]) == {"", "bra", "delvis", "svag"}
    assert downloads["mutor-bygglov-middag.svg"].decode("utf-8") == svg


def test_the_page_is_refused_to_anyone_but_an_admin(demo_env):
    employee = open_app("demo-medarbetare")
    with pytest.raises(ValueError):
        employee.switch_page(PAGE)  # not in a non-admin's page list, so not reachable by its URL either
    from progress.org import PersonRecord

    manager = PersonRecord("x", "Chef", None, "u", "Enhet", None, date(2020, 1, 1), None, ("medarbetare", "chef"))
    for person in (manager, None):
        at = AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=60)
        at.session_state["current_user"] = person
        at.run()
        assert not at.exception, at.exception
        assert [error.value for error in at.error] == ["Den här sidan är bara för administratörer."]
        assert not at.image and not at.title and not at.selectbox
