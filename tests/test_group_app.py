"""Gruppläge through AppTest (issue 14): a manager starts a group session on the facilitator's page, two
participants join on the participants' page (one types the code, one opens the QR code's link) and vote; the
screen shows only how many have voted until the reveal, then the counts; the group follows a choice, goes back
a step, plays to an ending, and the manager confirms who took part."""

from __future__ import annotations

import sqlite3

from streamlit.testing.v1 import AppTest

from tests.browser_support import real_course
from tests.conftest import PROJECT_ROOT, open_app

FACILITATOR_PAGE = "views/group.py"
JOIN_PAGE = "views/group_join.py"


def text_of(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success",
                                  "warning", "error") for e in getattr(at, kind)]
    return "\n".join(str(part) for part in parts)


def button(at: AppTest, key_prefix: str):
    found = [b for b in at.button if (b.key or "").startswith(key_prefix)]
    assert found, (key_prefix, [b.key for b in at.button])
    return found[0]


def radio(at: AppTest, key_prefix: str):
    found = [r for r in at.radio if (r.key or "").startswith(key_prefix)]
    assert found, (key_prefix, [r.key for r in at.radio])
    return found[0]


def printed_code(at: AppTest) -> str:
    """The join code as the screen prints it ("ABC 123")."""
    printed = [m.value for m in at.markdown if len(m.value) == 7 and m.value[3] == " "]
    assert printed, text_of(at)
    return printed[0]


def index_shown_at(widget, position: int) -> int:
    """A radio of choice indexes (its labels are the choices' texts): the index shown at `position` (A = 0)."""
    return next(index for index in range(len(widget.options))
                if widget.format_func(index) == widget.options[position])


def cast(phone: AppTest, position: int) -> None:
    """On a phone: choose what is shown at `position` and press Rösta."""
    phone.run()
    choice = radio(phone, "group-vote-")
    choice.set_value(index_shown_at(choice, position))
    button(phone, "group-vote-button-").click().run()
    assert not phone.exception, phone.exception


def records(database) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT person_id, participants FROM group_session_records "
                                  "ORDER BY person_id").fetchall()


def test_a_manager_leads_a_group_session_from_the_start_to_the_confirmed_attendance(demo_env):
    course = real_course()
    screen = open_app("demo-chef", FACILITATOR_PAGE)
    assert "Gruppläge" in text_of(screen)
    scenario_box = next(s for s in screen.selectbox if s.label == "Scenario")
    assert "(förslag från APT-kortet)" in scenario_box.options[0]  # the APT card's scenario first
    scenario_id = scenario_box.value
    button(screen, "group_start").click().run()
    assert not screen.exception, screen.exception
    code = printed_code(screen)
    scenario = course.scenarios[scenario_id]
    assert scenario.nodes[scenario.start].text in [m.value for m in screen.markdown]

    typed = open_app("demo-medarbetare", JOIN_PAGE)
    typed.text_input(key="group_code_typed").input(code.lower())  # as read off the screen, in any case
    typed.button[0].click().run()
    linked = open_app("demo-nyanstalld", JOIN_PAGE, kod=code.replace(" ", ""))  # the QR code's link
    for phone in (typed, linked):
        assert not phone.exception, phone.exception
        assert scenario.nodes[scenario.start].text in [m.value for m in phone.markdown]

    cast(typed, 0)
    cast(linked, 0)
    assert "Din röst är räknad" in text_of(typed) and not typed.radio  # no second vote at this step
    screen.run()
    assert "**2** av 2 har röstat." in text_of(screen)
    assert not screen.get("plotly_chart"), "no distribution before the reveal"
    button(screen, "group-reveal-").click().run()
    assert "A: 2 röster · B: 0 röster" in text_of(screen)
    assert screen.get("plotly_chart")
    follow = radio(screen, "group-follow-")
    assert follow.index == 0  # the most voted is the default
    typed.run()
    assert "Så röstade gruppen" in text_of(typed)
    assert "**2** röster – A. " in text_of(typed) and "**0** röster – B. " in text_of(typed)

    # a poor choice on purpose (the one shown last), then back: the node is shown again with a fresh vote
    follow.set_value(index_shown_at(follow, len(follow.options) - 1)).run()
    button(screen, "group-go-").click().run()
    assert not screen.exception, screen.exception
    button(screen, "group-back-").click().run()
    assert scenario.nodes[scenario.start].text in [m.value for m in screen.markdown]
    assert "**0** av 2 har röstat." in text_of(screen)

    # then on, the most voted each time, to an ending
    for _ in range(12):
        if not [b for b in screen.button if (b.key or "").startswith("group-reveal-")]:
            break
        cast(typed, 0)
        button(screen, "group-reveal-").click().run()
        button(screen, "group-go-").click().run()
        assert not screen.exception, screen.exception
    button(screen, "group-end-at-ending").click().run()
    screen.run()
    assert "Gruppövningen är avslutad" in text_of(screen)
    linked.run()
    assert "Tack för att du var med" in text_of(linked)

    # attendance: the two who joined are ticked; one more from the unit is ticked by hand
    boxes = [box for box in screen.checkbox if (box.key or "").startswith("group-present-")]
    ticked = {box.key.split("-", 3)[-1] for box in boxes if box.value}
    assert ticked == {"demo-medarbetare", "demo-nyanstalld"}
    next(box for box in boxes if not box.value).check()
    next(b for b in screen.button if b.label == "Bekräfta närvaron").click().run()
    assert not screen.exception, screen.exception
    assert "3 personer har gruppövningen registrerad" in text_of(screen)
    confirmed = records(demo_env)
    assert len(confirmed) == 3 and {person for person, _ in confirmed} >= {"demo-medarbetare", "demo-nyanstalld"}
    assert {participants for _, participants in confirmed} == {3}


def test_a_wrong_code_is_told_in_swedish_and_the_form_stays(demo_env):
    phone = open_app("demo-medarbetare", JOIN_PAGE)
    phone.text_input(key="group_code_typed").input("abc-123")
    phone.button[0].click().run()
    assert not phone.exception, phone.exception
    assert "Det finns ingen pågående gruppövning med koden ABC123" in text_of(phone)
    assert phone.text_input(key="group_code_typed")  # the form again, to type it anew


def test_a_qr_link_opened_before_signing_in_shows_the_code_to_type_afterwards(demo_env, monkeypatch):
    """The identity provider sends the browser back to the start page without ?kod=: the code is kept in sight.
    Anything in the parameter that could not be a code is not shown."""
    from tests.test_accessibility_statement import AUTH_SECRETS

    monkeypatch.setenv("COURSE_AUTH", "oidc")
    for kod, shown in (("abc234", "ABC 234"), ("<b>x</b>", None)):
        at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
        at.secrets["auth"] = AUTH_SECRETS
        at.user = {"is_logged_in": False}
        at.query_params["kod"] = kod
        at.run()
        assert not at.exception, at.exception
        assert [button.label for button in at.button] == ["Logga in"]
        notes = [info.value for info in at.info]
        if shown:
            assert any(f"skriv koden **{shown}**" in note for note in notes), notes
        else:
            assert not any("gruppövning" in note for note in notes), notes


def test_the_learner_s_module_page_says_the_scenario_was_played_in_a_group(demo_env):
    """A confirmed group session does the module's scenario part (config/tracks.yaml, by default): the new hire's
    module page marks the part done and says where it was played; the quiz is still hers to take."""
    from course import group
    from progress import group_sessions
    from progress.db import Database, make_engine

    course = real_course()
    open_app("demo-chef")  # seeds the demo
    module = next(m for m in course.modules.values() if m.id == "grazoner")
    scenario_id = module.scenarios[0]
    database = Database(make_engine(f"sqlite:///{demo_env}"))
    now = group_sessions.utcnow()
    screen = group_sessions.start(database, course, "demo-chef", "sbf", scenario_id, "sv", now)
    group_sessions.join(database, "demo-nyanstalld", screen.code, now)
    while screen.ending is None:
        group_sessions.reveal(database, course, "demo-chef", screen.id, screen.step_no, now)
        screen = group_sessions.follow(database, course, "demo-chef", screen.id, screen.step_no,
                                       screen.choice_order[0], now)
    group_sessions.end(database, course, "demo-chef", screen.id, now)
    group_sessions.confirm_attendance(database, course, "demo-chef", screen.id, ["demo-nyanstalld"], now)
    assert group.module_of(course, scenario_id) is module

    page = open_app("demo-nyanstalld", modul=module.id, **{"del": "0"})
    shown = text_of(page)
    assert "Du spelade scenariot i en gruppövning på arbetsplatsträffen" in shown, shown
    part = next(b for b in page.button if b.key == "part-0")
    assert part.label == f"{course.scenarios[scenario_id].title} (klar)"  # the part is done


def test_the_facilitator_s_page_and_the_phone_in_english(demo_env):
    screen = open_app("demo-chef", FACILITATOR_PAGE, lang="en")
    assert [title.value for title in screen.title] == ["Group mode"]
    button(screen, "group_start").click().run()
    assert not screen.exception, screen.exception
    assert "have voted." in text_of(screen) and "Show the votes" in [b.label for b in screen.button]
    phone = open_app("demo-medarbetare", JOIN_PAGE, lang="en", kod=printed_code(screen).replace(" ", ""))
    assert "Your vote is anonymous. Only the number of votes per choice is shown." in text_of(phone)
    assert [b.label for b in phone.button if (b.key or "").startswith("group-vote-button-")] == ["Vote"]
