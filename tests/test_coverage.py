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
