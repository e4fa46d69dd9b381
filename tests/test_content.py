"""The real course: clean, and as large as the foundation promises."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from course.content.coverage_config import fakta_sections
from course.content.loader import legal_sources, load_course
from tests.conftest import PROJECT_ROOT


def test_the_course_lints_clean():
    result = load_course(PROJECT_ROOT)
    assert result.ok, "\n".join(p.as_text() for p in result.problems)


def test_the_mutor_module_is_complete():
    course = load_course(PROJECT_ROOT).course
    module = course.modules["mutor"]
    scenarios = [course.scenarios[s] for s in module.scenarios]
    assert len(scenarios) >= 2
    assert all(len(s.nodes) >= 6 for s in scenarios)
    assert all(len({n.ending for n in s.nodes.values() if n.is_ending}) >= 2 for s in scenarios)
    bank = course.banks[module.quiz]
    assert len(bank.questions) >= 12
    assert {q.type for q in bank.questions} == {"single", "multiple", "true_false"}
    assert {q.topic for q in bank.questions} <= set(module.topics)
    assert module.pass_mark == 80


def test_every_citation_names_a_section_of_the_fact_sheet():
    """Each legal source's `fakta:` is a section in fakta_sections.yaml, the fact sheet's headings kept in the
    repository (tests/test_coverage.py holds that file equal to fakta.md where fakta.md is at hand)."""
    sections = {source.fakta for source in legal_sources().values()}
    assert sections and sections <= set(fakta_sections())


def test_every_cited_section_is_a_heading_of_fakta_md():
    fakta = PROJECT_ROOT.parent / "shared" / "fakta.md"
    if not fakta.exists():
        pytest.skip(f"{fakta} is not here (CI clones the repository without shared/)")
    text = fakta.read_text(encoding="utf-8")
    for section in {source.fakta for source in legal_sources().values()}:
        heading = f"## {section}." if "." not in section else f"### {section} "
        assert heading in text, f"fakta.md has no section {section}"


def test_stats_json_reports_the_counts():
    result = subprocess.run([sys.executable, "-m", "course", "stats", "--json"], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert set(stats) == {"modules", "scenarios", "nodes", "questions", "citations", "topics"}
    assert stats["modules"] >= 1 and stats["scenarios"] >= 2 and stats["questions"] >= 12
    assert stats["nodes"] >= 12 and stats["citations"] >= 1 and "muta-tagande" in stats["topics"]


def test_the_whole_course_is_as_large_as_promised():
    course = load_course(PROJECT_ROOT).course
    expected = {"grunder", "mutor", "jav-anstallda", "jav-fortroendevalda", "grazoner", "upphandling",
                "myndighetsutovning", "larm",
                "chefens-ansvar"}
    assert expected <= set(course.modules)
    for module in course.modules.values():
        assert len(module.scenarios) >= 3, module.id
        assert all(len(course.scenarios[s].nodes) >= 6 for s in module.scenarios), module.id
        assert 10 <= module.estimated_minutes <= 20, module.id
        assert len(module.key_points) >= 3, module.id
    assert len(course.scenarios) >= 24
    assert sum(len(bank.questions) for bank in course.banks.values()) >= 160


def test_every_role_has_a_track_and_every_track_resolves():
    course = load_course(PROJECT_ROOT).course
    for role in ("medarbetare", "chef", "fortroendevald", "upphandlare", "myndighetsutovare"):
        assert course.tracks_for({role}), role
    for track in course.tracks.values():
        assert all(module_id in course.modules for module_id in track.modules)
    assert {"grunder", "larm"} <= set(course.tracks["nyanstalld"].modules)
    assert "jav-fortroendevalda" in course.tracks["fortroendevald"].modules
    assert "chefens-ansvar" in course.tracks["chef"].modules


def test_every_track_and_translated_module_has_its_title_in_english():
    course = load_course(PROJECT_ROOT).course
    for track_id, track in course.tracks.items():
        english = course.track_title(track_id, "en")
        assert english != track.title and course.track_title(track_id, "sv") == track.title, track_id
        assert (course.track_summary(track_id, "en") is None) == (track.summary is None), track_id
    assert course.track_title("nyanstalld", "en") == "Introduction for new employees"
    # a module in the language asked for where it has a translation, named by the original's id or the translation's
    assert course.module_title("larm", "en") == course.module_title("larm-en", "en") == "Raising the alarm"
    assert course.module_title("larm-en", "sv") == course.modules["larm"].title
    assert course.module_title("mutor", "en") == course.modules["mutor"].title  # no translation: the Swedish
    assert course.module_title("borttagen", "en") == "borttagen"  # an old record's module


def test_the_swedish_is_plain():
    """Klarspråk, measured: every Swedish module reads as easy prose (LIX at most 40) in short sentences."""
    from course.analytics import lix, module_texts

    course = load_course(PROJECT_ROOT).course
    for module in course.modules.values():
        if module.language != "sv":
            continue
        readability, words_per_sentence = lix(module_texts(course, module.id))
        assert readability <= 40, (module.id, readability)
        assert words_per_sentence <= 14, (module.id, words_per_sentence)
    assert lix(["Ärendet handläggs skyndsamt enligt gällande bestämmelser i förvaltningslagstiftningen."])[0] > 60
