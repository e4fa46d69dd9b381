"""Lint: every kind of mistake is reported with its file and line, all of them in one run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course.content.loader import load_course
from tests.conftest import PROJECT_ROOT, add_english_translation, loaded

QUIZ = "quizzes/prov-fragor.yaml"


def edit(root: Path, relative: str, old: str, new: str) -> int:
    """Replace `old` by `new` in a content file; returns the line `new` starts on."""
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text[: text.index(new)].count("\n") + 1


def problems(root: Path, code: str):
    found = [p for p in load_course(root).problems if p.code == code]
    assert found, f"no {code} in {[p.as_text() for p in load_course(root).problems]}"
    return found


def problem_from_edit(root: Path, code: str, relative: str, old: str, new: str):
    """Make the edit; the one problem `code` it causes, which must stand in that file on the line `new` starts on."""
    line = edit(root, relative, old, new)
    (problem,) = problems(root, code)
    assert (problem.path, problem.line) == (relative, line)
    return problem


def test_fixture_content_is_clean(content):
    result = load_course(content)
    assert result.ok and result.course is not None
    assert result.files == 4


def test_every_object_knows_its_file_and_line(content):
    origins = load_course(content).course.origins
    lines = (content / "scenarios/prov-middag.yaml").read_text(encoding="utf-8").splitlines()
    assert origins["scenario:prov-middag"].path == "scenarios/prov-middag.yaml"
    assert lines[origins["node:prov-middag/chefen"].line - 1] == "  chefen:"
    assert lines[origins["choice:prov-middag/chefen/1"].line - 1] == "      - text: Nej"
    question = origins["question:prov-q4"]
    quiz_lines = (content / question.path).read_text(encoding="utf-8").splitlines()
    assert quiz_lines[question.line - 1] == "  - id: prov-q4"


def test_yaml_syntax_error_reports_its_line(content):
    line = edit(content, "scenarios/prov-gava.yaml", "title: Gåvan", "title: [Gåvan")
    (problem,) = problems(content, "E001")
    assert problem.path == "scenarios/prov-gava.yaml"
    assert problem.line >= line  # PyYAML reports where it noticed, at or after the opening bracket
    assert "YAML" in problem.message and problem.hint


def test_duplicate_key_reports_both_lines(content):
    line = edit(content, "quizzes/prov-fragor.yaml", "draw: 5\n", "draw: 5\ndraw: 3\n")
    (problem,) = problems(content, "E003")
    assert (problem.path, problem.line) == ("quizzes/prov-fragor.yaml", line + 1)
    assert f"rad {line}" in problem.message


def test_unknown_key_suggests_the_close_one(content):
    line = edit(content, "modules/prov.yaml", "audience:", "audiense:")
    unknown = problems(content, "E101")
    assert [(p.path, p.line) for p in unknown] == [("modules/prov.yaml", line)]
    assert "audience" in unknown[0].hint
    assert problems(content, "E102")[0].message.startswith("Fältet 'audience' saknas")


def test_unknown_key_deep_in_a_scenario(content):
    line = edit(content, "scenarios/prov-middag.yaml", "        feedback: Bra.", "        feedbak: Bra.")
    found = [p for p in problems(content, "E101") if p.line == line]
    assert found and "feedback" in found[0].hint


def test_missing_required_field(content):
    edit(content, "scenarios/prov-gava.yaml", "start: start\n", "")
    (problem,) = problems(content, "E102")
    assert problem.path == "scenarios/prov-gava.yaml" and problem.line == 1
    assert "'start'" in problem.message


# one mistake, one problem on the edited line: (code, file, the text, what it becomes, where the problem says it)
ONE_PROBLEM_ON_ITS_LINE = [
    pytest.param("E103", "modules/prov.yaml", "estimated_minutes: 5", "estimated_minutes: fem", "message", "heltal",
                 id="wrong_type"),
    pytest.param("E201", "scenarios/prov-middag.yaml", "next: slut-delvis", "next: slut-delvs", "hint", "slut-delvis",
                 id="choice_to_missing_node"),
    pytest.param("E202", "scenarios/prov-gava.yaml", "  slut:\n",
                 "  glomd:\n    text: Ingen pekar hit.\n    ending: bra\n  slut:\n", "message", "glomd",
                 id="unreachable_node"),
    pytest.param("E601", "scenarios/prov-gava.yaml", 'cite: ["BrB 10 kap. 5 a §"]', 'cite: ["BrB 10 kap 5 a §"]',
                 "hint", "BrB 10 kap. 5 a §", id="unknown_citation"),
    pytest.param("E403", "config/tracks.yaml", "modules: [prov]", "modules: [prov, provet]", "message", "provet",
                 id="track_with_a_missing_module"),
]


@pytest.mark.parametrize("code, relative, old, new, part, said", ONE_PROBLEM_ON_ITS_LINE)
def test_a_mistake_is_one_problem_on_its_line(content, code, relative, old, new, part, said):
    problem = problem_from_edit(content, code, relative, old, new)
    assert said in getattr(problem, part)


def test_yaml_no_is_text_not_false(content):
    edit(content, "scenarios/prov-gava.yaml", "title: Gåvan", "title: no")
    result = load_course(content)
    assert result.ok
    assert result.course.scenarios["prov-gava"].title == "no"


def test_node_with_no_way_to_an_ending(content):
    line = edit(content, "scenarios/prov-middag.yaml", "        next: slut-svag", "        next: loop")
    path = content / "scenarios/prov-middag.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  loop:\n    text: Runt runt.\n    choices:\n"
                    "      - text: Igen\n        next: loop\n        feedback: Igen.\n"
                    "        cite: [\"BrB 10 kap. 5 a §\"]\n", encoding="utf-8")
    loop_line = path.read_text(encoding="utf-8").splitlines().index("  loop:") + 1
    dead_ends = problems(content, "E203")
    assert [(p.path, p.line) for p in dead_ends] == [("scenarios/prov-middag.yaml", loop_line)]
    assert line < loop_line
    # slut-svag is now unreachable too: both are reported in the same run
    assert problems(content, "E202")[0].message.startswith("Noden 'slut-svag'")


def test_a_decision_needs_two_choices(content):
    """A start node with one way on is no dilemma (issue 12, point 4); lint names its line, and ending nodes,
    which have no choices, are not reported."""
    path = content / "scenarios/prov-gava.yaml"
    text = path.read_text(encoding="utf-8")
    second = text.index("      - text: Behåll vinet")
    path.write_text(text[:second] + text[text.index("  slut:"):], encoding="utf-8")
    (problem,) = problems(content, "E205")
    assert (problem.path, problem.line) == ("scenarios/prov-gava.yaml",
                                           path.read_text(encoding="utf-8").splitlines().index("  start:") + 1)
    assert "minst två" in problem.message and problem.hint


def test_a_first_decision_that_gives_its_answer_away_by_length(content):
    """E206 (issue 12): the one choice at the start that can still end well may not stand out by its length."""
    relative = "scenarios/prov-gava.yaml"
    edit(content, relative, "        next: slut\n        feedback: Fel.", "        next: slut_svag\n        feedback: Fel.")
    edit(content, relative, "  slut:\n", "  slut_svag:\n    text: Det gick illa.\n    ending: svag\n  slut:\n")
    assert load_course(content).ok  # the wrong choice (43 characters) is longer than the right one
    problem = problem_from_edit(
        content, "E206", relative, "      - text: Skicka tillbaka\n",
        "      - text: Skicka tillbaka vinet med ett vänligt brev, anteckna gåvan och berätta för din chef\n")
    assert "längden" in problem.message and problem.hint
    # two choices that can end well: neither gives the other away
    edit(content, relative, "    ending: svag\n", "    ending: bra\n")
    assert load_course(content).ok


def problem_at_question(root: Path, code: str, question_id: str, old: str, new: str):
    """Make the edit in the quiz; the one problem `code` it causes, which must stand on the question's first line."""
    question_line = (root / QUIZ).read_text(encoding="utf-8").splitlines().index(f"  - id: {question_id}") + 1
    edit(root, QUIZ, old, new)
    (problem,) = problems(root, code)
    assert (problem.path, problem.line) == (QUIZ, question_line)
    return problem


def test_question_without_correct_option(content):
    problem_at_question(content, "E301", "prov-q3", "      - text: Rätt 3\n        correct: true\n",
                        "      - text: Rätt 3\n")


def test_single_choice_with_two_correct_options(content):
    problem_at_question(content, "E302", "prov-q2", "      - text: Fel 2\n",
                        "      - text: Fel 2\n        correct: true\n")
    # the same two correct answers are fine in a multiple-choice question
    edit(content, QUIZ, "  - id: prov-q2\n    type: single", "  - id: prov-q2\n    type: multiple")
    assert load_course(content).ok


def test_module_with_missing_scenario_and_quiz(content):
    line = edit(content, "modules/prov.yaml", "scenarios: [prov-middag, prov-gava]", "scenarios: [prov-middag, prov-gavan]")
    quiz_line = edit(content, "modules/prov.yaml", "quiz: prov-fragor", "quiz: prov-frågor-saknas")
    # an id with å is also a pattern error (E103); the reference is still checked once the value is valid
    edit(content, "modules/prov.yaml", "quiz: prov-frågor-saknas", "quiz: prov-saknas")
    (scenario_problem,) = problems(content, "E401")
    assert (scenario_problem.path, scenario_problem.line) == ("modules/prov.yaml", line)
    assert "prov-gava" in scenario_problem.hint
    (quiz_problem,) = problems(content, "E402")
    assert (quiz_problem.path, quiz_problem.line) == ("modules/prov.yaml", quiz_line)


def test_duplicate_ids_across_files(content):
    copy = (content / "scenarios/prov-gava.yaml").read_text(encoding="utf-8")
    (content / "scenarios/zz-kopia.yaml").write_text(copy, encoding="utf-8")
    (problem,) = problems(content, "E501")
    assert (problem.path, problem.line) == ("scenarios/zz-kopia.yaml", 1)
    assert "scenarios/prov-gava.yaml:1" in problem.message


def test_question_resting_only_on_unverified_source(content):
    edit(content, "quizzes/prov-fragor.yaml", 'cite: ["BrB 10 kap. 5 a §"]', 'cite: ["BrB 10 kap. 1 §"]')
    assert problems(content, "E602")


def test_every_problem_in_one_run(content):
    edit(content, "modules/prov.yaml", "audience:", "audiense:")
    edit(content, "scenarios/prov-middag.yaml", "next: slut-delvis", "next: saknas")
    edit(content, "quizzes/prov-fragor.yaml", "draw: 5", "draw: 50")
    codes = {p.code for p in load_course(content).problems}
    assert {"E101", "E102", "E201", "E303"} <= codes


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "course", *args], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=60)


def test_cli_text_and_exit_codes(content):
    clean = run_cli("lint", str(content))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout == ""
    line = edit(content, "scenarios/prov-middag.yaml", "next: slut-delvis", "next: saknas")
    broken = run_cli("lint", str(content))
    assert broken.returncode == 1
    first = broken.stdout.splitlines()[0]
    assert first == f"scenarios/prov-middag.yaml:{line}: E201 Valet pekar på noden 'saknas', som inte finns."
    assert broken.stdout.splitlines()[1].strip().startswith("tips:")


def test_cli_json(content):
    edit(content, "scenarios/prov-middag.yaml", "next: slut-delvis", "next: saknas")
    result = run_cli("lint", str(content), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["problems"][0]["code"] == "E201"
    assert set(report["problems"][0]) == {"path", "line", "code", "message", "hint"}


def test_cli_stats(content):
    result = run_cli("stats", str(content), "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"modules": 1, "scenarios": 2, "nodes": 7, "questions": 6, "citations": 3,
                                         "topics": ["muta-tagande"]}


def test_placeholder_is_filled_from_the_organisation_and_an_unknown_one_is_reported(content):
    edit(content, "scenarios/prov-gava.yaml", "text: En leverantör skickar vin.",
         "text: 'En leverantör skickar vin. Rapportera till {org.visselblasning.epost}.'")
    course = load_course(content).course
    text = course.scenarios["prov-gava"].nodes["start"].text
    assert "visselblasning@gransby.example" in text and "{org." not in text
    problem = problem_from_edit(content, "E701", "scenarios/prov-gava.yaml", "{org.visselblasning.epost}",
                                "{org.visselblasning.epst}")
    assert "{org.visselblasning.epost}" in problem.hint


def test_organisation_values_do_not_change_the_content_version(content, tmp_path):
    organisation = (PROJECT_ROOT / "config" / "organisation.yaml").read_text(encoding="utf-8")
    (content / "config").mkdir(exist_ok=True)
    (content / "config" / "organisation.yaml").write_text(organisation, encoding="utf-8")
    edit(content, "scenarios/prov-gava.yaml", "text: Klart.", "text: 'Ring {org.visselblasning.telefon}.'")
    before = load_course(content).course
    edit(content, "config/organisation.yaml", "telefon: 0123-456 00", "telefon: 0123-999 99")
    after = load_course(content).course
    assert after.scenarios["prov-gava"].nodes["slut"].text == "Ring 0123-999 99."
    assert after.module_version("prov") == before.module_version("prov")


def test_a_broken_organisation_file_is_reported_with_its_line(content):
    organisation = (PROJECT_ROOT / "config" / "organisation.yaml").read_text(encoding="utf-8")
    (content / "config").mkdir(exist_ok=True)
    (content / "config" / "organisation.yaml").write_text(organisation, encoding="utf-8")
    line = edit(content, "config/organisation.yaml", "  epost: visselblasning@", "  e_post: visselblasning@")
    found = [p for p in problems(content, "E101") if p.path == "config/organisation.yaml"]
    assert [p.line for p in found] == [line] and "epost" in found[0].hint


def test_a_translation_must_name_an_original_with_the_same_topics(content):
    add_english_translation(content)
    edit(content, "modules/prov-en.yaml", "translation_of: prov\n", "translation_of: provet\n")
    (problem,) = problems(content, "E404")
    assert problem.path == "modules/prov-en.yaml" and problem.line == 3
    edit(content, "modules/prov-en.yaml", "translation_of: provet", "translation_of: prov")
    edit(content, "modules/prov-en.yaml", "[prov-middag-en, prov-gava-en]", "[prov-middag, prov-gava-en]")
    assert problems(content, "E408")  # a translation has scenarios of its own
    edit(content, "modules/prov-en.yaml", "[prov-middag, prov-gava-en]", "[prov-middag-en, prov-gava-en]")
    edit(content, "modules/prov-en.yaml", "topics: [muta-tagande]", "topics: [muta-givande]")
    assert problems(content, "E405")
    edit(content, "config/tracks.yaml", "modules: [prov]", "modules: [prov-en]")
    assert problems(content, "E406")


def test_translated_content_gets_the_municipalitys_prose_in_its_language(content):
    organisation = (PROJECT_ROOT / "config" / "organisation.yaml").read_text(encoding="utf-8")
    (content / "config" / "organisation.yaml").write_text(organisation.split("\noversattningar:")[0],
                                                          encoding="utf-8")
    add_english_translation(content)
    edit(content, "modules/prov-en.yaml", "text: Berätta för chefen.", "text: 'Our rule: {org.gavoregel.text}'")
    (problem,) = problems(content, "E703")
    assert problem.path == "modules/prov-en.yaml" and "gavoregel.text" in problem.message
    (content / "config" / "organisation.yaml").write_text(organisation, encoding="utf-8")
    course = load_course(content).course
    assert course.modules["prov-en"].key_points[2].text.startswith("Our rule: In Gränsby municipality")
    assert course.modules["prov"].key_points[2].text == "Berätta för chefen."


def test_contact_roles_are_prose_and_addresses_are_not():
    from course.content.placeholders import is_prose

    assert is_prose("org.kontaktpersoner.sakerhet.roll") and is_prose("org.gavoregel.text")
    assert not is_prose("org.kontaktpersoner.sakerhet.epost") and not is_prose("org.visselblasning.telefon")


def test_the_same_question_twice_is_reported(content):
    edit(content, "quizzes/prov-fragor.yaml", "text: Fråga 2?", "text: Fråga 1?")
    (problem,) = problems(content, "E502")
    assert problem.path == "quizzes/prov-fragor.yaml" and "prov-q2" in problem.message


def test_a_topic_without_a_display_name(content):
    (content / "topics.yaml").write_text("topics:\n  gavor: Gåvor\n", encoding="utf-8")
    found = problems(content, "E704")
    assert {p.path for p in found} == {"modules/prov.yaml", "scenarios/prov-middag.yaml", "scenarios/prov-gava.yaml",
                                       "quizzes/prov-fragor.yaml"}
    module = next(p for p in found if p.path == "modules/prov.yaml")
    lines = (content / "modules/prov.yaml").read_text(encoding="utf-8").splitlines()
    assert "muta-tagande" in lines[module.line - 1] and "muta-tagande" in module.message
    (content / "topics.yaml").write_text("topics:\n  muta-tagande: Att ta emot muta\n", encoding="utf-8")
    result = load_course(content)
    assert result.ok and result.course.topic_title("muta-tagande") == "Att ta emot muta"


def test_a_scenario_or_bank_no_module_uses_is_reported(content):
    shutil.copy(content / "scenarios" / "prov-gava.yaml", content / "scenarios" / "prov-glomd.yaml")
    edit(content, "scenarios/prov-glomd.yaml", "id: prov-gava", "id: prov-glomd")
    shutil.copy(content / "quizzes" / "prov-fragor.yaml", content / "quizzes" / "prov-glomda-fragor.yaml")
    text = (content / "quizzes" / "prov-glomda-fragor.yaml").read_text(encoding="utf-8")
    (content / "quizzes" / "prov-glomda-fragor.yaml").write_text(
        text.replace("id: prov-fragor", "id: prov-glomda-fragor").replace("id: prov-q", "id: glomd-q")
        .replace("text: Fråga ", "text: Glömd fråga "), encoding="utf-8")
    found = sorted((p.path, p.line) for p in problems(content, "E409"))
    assert found == [("quizzes/prov-glomda-fragor.yaml", 1), ("scenarios/prov-glomd.yaml", 1)]


def test_a_track_may_have_its_texts_in_english_and_need_not(content):
    course = load_course(content).course  # no translations: lint is clean, and English shows the Swedish
    assert course.track_title("alla", "en") == course.track_title("alla") == "Provspår"
    assert course.track_summary("alla", "en") is None
    before = course.rules_version
    edit(content, "config/tracks.yaml", "    title: Provspår\n",
         "    title: Provspår\n    summary: Om {org.gavoregel.text}\n    translations:\n      en:\n"
         "        title: Test track\n        summary: 'Our rule: {org.gavoregel.text}'\n")
    course = loaded(content)
    assert (course.track_title("alla", "en"), course.track_title("alla", "sv")) == ("Test track", "Provspår")
    # each language gets the municipality's prose in that language
    assert course.track_summary("alla", "en").startswith("Our rule: In Gränsby municipality")
    assert course.track_summary("alla", "sv").startswith("Om I Gränsby kommun")
    assert course.track_title("alla", "de") == "Provspår"  # a language without a translation: the Swedish
    assert course.rules_version != before  # the Swedish summary is new ...
    edit(content, "config/tracks.yaml", "title: Test track", "title: A track for testing")
    assert load_course(content).course.rules_version == course.rules_version  # ... a translation is no rule


def test_a_track_translation_is_whole_and_in_a_known_language(content):
    line = edit(content, "config/tracks.yaml", "    title: Provspår\n",
                "    title: Provspår\n    summary: Klar inom en månad.\n    translations:\n      en:\n"
                "        title: Test track\n") + 3
    (problem,) = problems(content, "E410")
    assert (problem.path, problem.line) == ("config/tracks.yaml", line) and "summary" in problem.hint
    edit(content, "config/tracks.yaml", "        title: Test track\n",
         "        title: Test track\n        summary: Done within a month.\n        titel: Fel\n")
    assert [p.path for p in problems(content, "E101")] == ["config/tracks.yaml"]
    edit(content, "config/tracks.yaml", "        titel: Fel\n", "")
    assert load_course(content).ok
    edit(content, "config/tracks.yaml", "      en:\n", "      de:\n")
    assert [p.path for p in load_course(content).problems] == ["config/tracks.yaml"]
