"""Coverage: the fact sheet's rule sections against the scenarios that teach them and the questions that test
them, per track, with config/coverage.yaml's requirements and the gaps; and the checks of both files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from course.content.coverage_config import check_legal_sources, fakta_chapters, fakta_sections
from course.content.loader import LEGAL_SOURCES_FILE, legal_sources, load_course
from tests.conftest import FIXTURE_CONTENT, PROJECT_ROOT

FAKTA = PROJECT_ROOT.parent / "shared" / "fakta.md"


# --- the fact sheet's sections ---------------------------------------------------------------------------------

def fakta_headings(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """fakta.md's numbered chapters (## N. title) and its sections: the ### N.M subsections, or the chapter
    itself where it has none."""
    chapters: dict[str, str] = {}
    subsections: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        if match := re.match(r"^## (\d+)\. (.+?)\s*$", line):
            chapters[match[1]] = match[2]
            subsections[match[1]] = {}
        elif match := re.match(r"^### (\d+)\.(\d+) (.+?)\s*$", line):
            subsections[match[1]][f"{match[1]}.{match[2]}"] = match[3]
    sections = {}
    for number, title in chapters.items():
        sections.update(subsections[number] or {number: title})
    return chapters, sections


@pytest.mark.skipif(not FAKTA.exists(), reason=f"{FAKTA} is not here (CI clones the repository without shared/); "
                                               "fakta_sections.yaml is checked against it where it is")
def test_the_sections_file_equals_the_fact_sheets_headings():
    chapters, sections = fakta_headings(FAKTA.read_text(encoding="utf-8"))
    assert dict(fakta_chapters()) == chapters
    assert {s.id: s.title for s in fakta_sections().values()} == sections
    assert list(fakta_sections()) == list(sections)  # in the fact sheet's order
    assert {s.id for s in fakta_sections().values() if s.rule} == {s for s in sections if int(s.split(".")[0]) <= 9}


def test_every_legal_source_names_a_section_of_the_fact_sheet():
    assert {source.fakta for source in legal_sources().values()} <= set(fakta_sections())
    assert check_legal_sources(LEGAL_SOURCES_FILE, "course/content/legal_sources.yaml") == []


def test_an_unknown_section_in_the_legal_sources_is_reported_with_its_line(tmp_path):
    text = LEGAL_SOURCES_FILE.read_text(encoding="utf-8")
    text = text.replace('fakta: "1.2", certainty: V', 'fakta: "1.12", certainty: V', 1)
    text = text.replace('fakta: "1.9", certainty: V', 'fakta: "1", certainty: V', 1)
    path = tmp_path / "legal_sources.yaml"
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    found = check_legal_sources(path, "legal_sources.yaml")
    assert [p.code for p in found] == ["E807", "E807"]
    assert '"1.12"' in lines[found[0].line - 1] and "1.12" in found[0].message
    assert 'fakta: "1",' in lines[found[1].line - 1] and "1.1, 1.2" in found[1].hint  # a chapter: name its subsection


# --- the real course against config/coverage.yaml -------------------------------------------------------------

# Content to write: what config/coverage.yaml requires and today's content lacks, as (code, track, section or
# list). A new gap fails this test; closing one fails it too, until the gap is taken off this list.
KNOWN_GAPS = [
]


@pytest.fixture(scope="module")
def real_course():
    result = load_course(PROJECT_ROOT)
    assert result.ok, "\n".join(p.as_text() for p in result.problems)
    return result.course


def real_requirements(course):
    from course.content.coverage_config import load_requirements

    requirements, problems = load_requirements(PROJECT_ROOT / "config" / "coverage.yaml", "config/coverage.yaml",
                                               list(course.tracks.values()), course.modules, course.scenarios)
    assert requirements is not None and problems == []
    return requirements


def test_the_course_has_exactly_the_known_gaps(real_course):
    from course.coverage import coverage

    report = coverage(real_course, real_requirements(real_course))
    found = [(gap.code, gap.track, gap.section or gap.kind) for gap in report.gaps]
    assert sorted(found, key=str) == sorted(KNOWN_GAPS, key=str), "\n".join(g.problem.as_text() for g in report.gaps)


def test_every_track_has_requirements_and_they_are_not_trivial(real_course):
    requirements = real_requirements(real_course)
    assert set(requirements.config.tracks) == set(real_course.tracks)
    for track_id, wanted in requirements.config.tracks.items():
        assert {"1.1", "1.7", "5.1"} <= set(wanted.sections), track_id  # everyone: say no, no safe amount
        assert any(s.startswith("7.") for s in wanted.sections), track_id  # everyone: reporting
        assert any(s.split(".")[0] in ("2", "3") for s in wanted.sections), track_id  # everyone: jäv


def test_the_coverage_command_on_the_real_course(capsys):
    import json

    from course.cli import main

    assert main(["coverage", "--format", "json"]) == (1 if KNOWN_GAPS else 0)
    data = json.loads(capsys.readouterr().out)
    assert [t["id"] for t in data["tracks"]] == ["nyanstalld", "medarbetare", "chef", "fortroendevald", "upphandlare",
                                                "myndighetsutovare"]
    assert data["gaps"] == len(KNOWN_GAPS) and data["requirements"] == "config/coverage.yaml"
    assert main(["coverage", "--track", "medarbetare"]) == 0  # the yearly round has no gap
    table = capsys.readouterr().out
    assert table.startswith("Spår medarbetare – ") and "✗" not in table.split("\n✗ =")[0]
    assert "Kursen" not in table  # one track: the course level is left out
    assert main(["coverage", "--track", "medarbetar"]) == 2
    assert "Spåren är: nyanstalld" in capsys.readouterr().err


# --- a small fixture -----------------------------------------------------------------------------------------

@pytest.fixture
def content(tmp_path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    return root


COVERAGE = """\
tracks:
  alla:
    sections: ["1.1", "1.2", "1.7"]
    benefit_offered: [prov-middag]
    jav_in_own_role: [prov-gava]
    reporting: [prov-gava]
giving_side: [prov-gava]
"""


def write(root: Path, relative: str, text: str) -> None:
    (root / relative).write_text(text, encoding="utf-8")


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(root: Path, relative: str, text: str) -> int:
    lines = (root / relative).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def fixture_report(root: Path):
    from course.content.coverage_config import load_requirements
    from course.coverage import coverage

    result = load_course(root)
    assert result.ok, [p.as_text() for p in result.problems]
    course = result.course
    requirements, problems = load_requirements(root / "config" / "coverage.yaml", "config/coverage.yaml",
                                               list(course.tracks.values()), course.modules, course.scenarios)
    assert problems == []
    return coverage(course, requirements)


def give_prov_gava_jav_reporting_and_giving(root: Path) -> None:
    """prov-gava's choice cites jäv (2.4), the protection of a reporter (7.3) and givande av muta (1.2)."""
    edit(root, "scenarios/prov-gava.yaml", 'cite: ["BrB 10 kap. 5 a §"]',
         'cite: ["BrB 10 kap. 5 a §", "KL (2017:725) 7 kap. 4 §", "Lag (2021:890) 3 kap. 1 §", "BrB 10 kap. 5 b §"]')


def test_a_section_cited_only_by_a_question_is_not_taught(content):
    write(content, "config/coverage.yaml", COVERAGE.replace(", prov-gava]", "]").replace("[prov-gava]", "[]"))
    edit(content, "quizzes/prov-fragor.yaml", 'cite: ["BrB 10 kap. 5 a §"]', 'cite: ["BrB 10 kap. 5 a §", "BrB 10 kap. 5 b §"]')
    report = fixture_report(content)
    (track,) = report.tracks
    rows = {row.section.id: row for row in track.rows}
    assert rows["1.2"].questions == ("prov-q1",) and rows["1.2"].scenarios == ()
    assert rows["1.2"].not_taught and not rows["1.2"].not_tested
    assert rows["1.7"].scenarios == ("prov-middag",) and rows["1.7"].not_tested  # cited by a choice, no question
    assert rows["1.1"].scenarios == ("prov-middag", "prov-gava") and len(rows["1.1"].questions) == 6
    assert not rows["3.3"].required and not rows["3.3"].not_taught  # not required: never a gap
    found = [(gap.code, gap.section or gap.kind, gap.problem.line) for gap in report.gaps]
    sections_line = line_of(content, "config/coverage.yaml", "sections:")
    assert found == [("W811", "1.2", sections_line), ("W812", "1.7", sections_line),
                     ("W814", "jav_in_own_role", line_of(content, "config/coverage.yaml", "jav_in_own_role:")),
                     ("W815", "reporting", line_of(content, "config/coverage.yaml", "reporting:")),
                     ("W816", "giving_side", line_of(content, "config/coverage.yaml", "giving_side:"))]
    assert all(gap.problem.path == "config/coverage.yaml" and gap.problem.hint for gap in report.gaps)


def test_the_json_output_and_the_exit_code(content, capsys):
    import json

    from course.cli import main

    write(content, "config/coverage.yaml", COVERAGE.replace('"1.2", "1.7"', '"1.2"'))
    give_prov_gava_jav_reporting_and_giving(content)
    edit(content, "quizzes/prov-fragor.yaml", 'cite: ["BrB 10 kap. 5 a §"]', 'cite: ["BrB 10 kap. 5 b §"]')
    assert main(["coverage", "--content-root", str(content), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"requirements", "tracks", "course", "gaps"} and data["gaps"] == 0
    (track,) = data["tracks"]
    assert set(track) == {"id", "title", "modules", "has_requirements", "sections", "scenarios", "gaps"}
    assert track["id"] == "alla" and track["modules"] == ["prov"] and track["gaps"] == []
    assert [s["id"] for s in track["sections"]] == [s.id for s in fakta_sections().values() if s.rule]
    first = track["sections"][0]
    assert first == {"id": "1.1", "title": "Tagande av muta – BrB 10 kap. 5 a §", "required": True,
                     "scenarios": ["prov-middag", "prov-gava"], "questions": [f"prov-q{i}" for i in range(2, 7)],
                     "taught": True, "tested": True, "gap": False}
    assert track["scenarios"] == {"benefit_offered": ["prov-middag"], "jav_in_own_role": ["prov-gava"],
                                  "reporting": ["prov-gava"]}
    assert data["course"] == {"giving_side": ["prov-gava"], "gaps": []}

    write(content, "config/coverage.yaml", COVERAGE)  # 1.7 has no question now
    assert main(["coverage", "--content-root", str(content), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    (gap,) = data["tracks"][0]["gaps"]
    assert gap == {"code": "W812", "kind": "not_tested", "track": "alla", "section": "1.7",
                   "path": "config/coverage.yaml", "line": 3, "message": gap["message"], "hint": gap["hint"]}
    assert "§1.7" in gap["message"]
    assert main(["coverage", "--content-root", str(content)]) == 1
    captured = capsys.readouterr()
    assert "  ✗ 1.7   *" in captured.out and "config/coverage.yaml:3: W812" in captured.out
    assert "1 luckor" in captured.err


def test_without_requirements_nothing_is_a_gap(content, capsys):
    from course.cli import main

    assert main(["coverage", "--content-root", str(content)]) == 0
    captured = capsys.readouterr()
    assert "config/coverage.yaml saknas" in captured.err and "(inga krav för spåret)" in captured.out


def test_mistakes_in_the_requirements_are_lint_problems_with_their_lines(content):
    from tests.conftest import add_english_translation

    add_english_translation(content)
    write(content, "config/coverage.yaml", """\
tracks:
  alla:
    sections: ["1.1", "1.12", "7", "10", "1.6", "1.1", 5.1]
    benefit_offered: [prov-midag, prov-middag-en]
    reporting: [prov-middag]
  nyanstalld:
    sections: ["1.1"]
giving_side: [prov-gava]
""")
    problems = [p for p in load_course(content).problems if p.path == "config/coverage.yaml"]
    assert [(p.line, p.code) for p in problems] == [(3, "E802")]  # an unquoted number first: 5.1 is no text
    assert "\"5.1\"" in problems[0].hint
    edit(content, "config/coverage.yaml", ", 5.1]", "]")
    problems = [p for p in load_course(content).problems if p.path == "config/coverage.yaml"]
    assert [(p.line, p.code) for p in problems] == [
        (3, "E802"), (3, "E802"), (3, "E802"), (3, "E806"), (3, "E809"),  # 1.12, 7, 10; 1.6; 1.1 twice
        (4, "E803"), (4, "E804"), (5, "E805"), (6, "E801"), (8, "E805"),
    ]
    by_code = {p.code: p for p in problems}
    assert "'1.12'" in problems[0].message and problems[0].hint.startswith("Menade du")
    hints = {p.message.split()[0]: p.hint for p in problems if p.code == "E802"}
    assert "7.1, 7.2" in hints["'7'"]  # a chapter: name its subsections
    assert "§1–§9" in hints["'10'"]    # 10 is no rule section
    assert "1.6" in by_code["E806"].message and "legal_sources.yaml" in by_code["E806"].hint
    assert by_code["E803"].hint == "Menade du 'prov-middag'?"
    assert "prov-middag-en" in by_code["E804"].message and "prov" in by_code["E804"].hint
    reporting, giving = [p.message for p in problems if p.code == "E805"]
    assert reporting == "Scenariot 'prov-middag' står under rapportering men hänvisar inte till §7 i fakta.md."
    assert giving.startswith("Scenariot 'prov-gava' står under givarsidan") and "§1.2" in giving
    assert "nyanstalld" in by_code["E801"].message and "'alla'" not in by_code["E801"].hint


def test_a_track_without_requirements_is_a_lint_problem(content):
    write(content, "config/tracks.yaml", (content / "config/tracks.yaml").read_text(encoding="utf-8") + """\
  - id: extra
    title: Extra
    roles: [chef]
    modules: [prov]
""")
    write(content, "config/coverage.yaml", COVERAGE)
    give_prov_gava_jav_reporting_and_giving(content)
    (problem,) = load_course(content).problems
    assert (problem.path, problem.line, problem.code) == ("config/coverage.yaml", 1, "E808")
    assert "'extra'" in problem.message and "extra:" in problem.hint


def test_the_lint_command_prints_coverage_problems(content):
    import subprocess
    import sys

    write(content, "config/coverage.yaml", COVERAGE.replace("prov-middag]", "prov-midag]"))
    result = subprocess.run([sys.executable, "-m", "course", "lint", str(content)], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, timeout=60)
    assert result.returncode == 1
    assert "config/coverage.yaml:4: E803 Scenariot 'prov-midag' finns inte." in result.stdout
