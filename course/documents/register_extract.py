"""The register extract (registerutdrag) as a readable Swedish PDF: a summary, section by section, of everything
stored about one person. The JSON beside it is complete; this is for reading. Pure: the extract's data in, bytes
out. Every value from the store is printed as plain text (pdf.text escapes it).
"""

from __future__ import annotations

from datetime import date
from typing import Sequence

from course.documents import pdf
from course.rules import FAILED, PASSED, TOPIC_QUIZ_DONE

ACTIONS = {  # the audit log's actions (progress.audit), in words
    "visa_medarbetarsamtal": "visade medarbetarsamtalet", "ladda_ner_medarbetarsamtal": "laddade ner samtalet",
    "visa_svar": "visade svaren", "export_med_namn": "exporterade en lista med namn", "import": "import",
    "rollandring": "ändrade roller", "installningar": "ändrade inställningar", "dataexport": "dataexport",
    "registerutdrag": "tog ut ett registerutdrag", "gallring": "gallring", "radering": "radering",
    "export_granskningslogg": "exporterade granskningsloggen", "verifiera_intyg": "verifierade ett intyg",
    "inloggning_nekad": "inloggning nekad", "samtalsledare_ratt_given": "gav rätt att leda gruppövningar",
    "samtalsledare_ratt_borttagen": "tog bort rätt att leda gruppövningar"}
ATTEMPT_KINDS = {"scenario": "scenario", "quiz": "quiz", "diagnostic": "diagnos", "booster": "repetition"}
OUTCOMES = {PASSED: "godkänd", FAILED: "underkänd", TOPIC_QUIZ_DONE: "klar", "bra": "bra", "delvis": "delvis",
            "svag": "svag"}
MAX_ROWS = 400  # per table: the JSON has every row; the PDF says how many more there are


def _day(value: str | None) -> str:
    return (value or "")[:10]


def _moment(value: str | None) -> str:
    return (value or "").replace("T", " ")[:16]


def _section(story: list, heading: str, header: Sequence[str], rows: list[Sequence], widths: Sequence[float],
             empty: str = "Inget sparat.") -> None:
    story.append(pdf.text(heading, "heading"))
    if not rows:
        story.append(pdf.text(empty, "small"))
        return
    story.append(pdf.table(header, rows[:MAX_ROWS], [w * pdf.CONTENT_WIDTH for w in widths]))
    if len(rows) > MAX_ROWS:
        story.append(pdf.text(f"… och {len(rows) - MAX_ROWS} till (alla finns i JSON-filen).", "small"))


def _group_rows(tables: dict, person_id: str, scenarios) -> list[list]:
    """One line per group session the person led, was confirmed for or joined: the scenario, the day, whether
    they led it, and how many were confirmed (what the records say; "–" before anyone was)."""
    led = {row["id"]: row for row in tables.get("group_sessions", [])}
    records = tables.get("group_session_records", [])
    own = {row["session_id"]: row for row in records if row["person_id"] == person_id}
    confirmed = {row["session_id"]: row["participants"] for row in records}
    joined = {row["session_id"]: row for row in tables.get("group_participants", [])}
    rows = []
    for session_id in sorted(set(led) | set(own) | set(joined)):
        about = led.get(session_id) or own.get(session_id) or {}
        scenario_id = about.get("scenario_id")
        title = scenarios[scenario_id].title if scenario_id in scenarios else (scenario_id or "–")
        day = _day(about.get("started_at") or about.get("held_on") or joined.get(session_id, {}).get("joined_at"))
        rows.append([title, day, "ja" if session_id in led else "nej", str(confirmed.get(session_id, "–"))])
    return rows


def register_extract_pdf(extract: dict, organisation=None, course=None, generated: date | None = None) -> bytes:
    """`extract` as progress.privacy returns it; `organisation` (config/organisation.yaml) names who is
    responsible; `course`, when given, turns module and question ids into their titles and texts."""
    meta, tables = extract["registerutdrag"], extract["tabeller"]
    modules = course.modules if course is not None else {}
    questions = course.questions if course is not None else {}
    module = lambda module_id: modules[module_id].title if module_id in modules else module_id  # noqa: E731
    tracks = course.tracks if course is not None else {}

    def owner(attempt: dict) -> str:
        """What an attempt belongs to: its module, or the track of a diagnostic or a booster."""
        if attempt.get("track_id"):
            track_id = attempt["track_id"]
            return f"Spåret {tracks[track_id].title if track_id in tracks else track_id}"
        return module(attempt.get("module_id") or "")

    person = (tables.get("people") or [{}])[0]
    org_name = getattr(organisation, "namn", "") or ""
    protection = getattr(organisation, "dataskydd", None)

    story = [pdf.text("Registerutdrag", "title"),
             pdf.text(f"{meta['namn']} ({meta['person_id']})", "body"),
             pdf.text(f"Ur Gränsfall, utbildningen mot mutor, jäv och otillåten påverkan. Skapat "
                      f"{_moment(meta['skapat'])} (UTC).", "small")]
    if protection is not None and protection.personuppgiftsansvarig:
        story.append(pdf.text(f"Personuppgiftsansvarig: {protection.personuppgiftsansvarig}", "small"))
    if protection is not None and protection.dataskyddsombud:
        officer = protection.dataskyddsombud
        story.append(pdf.text("Dataskyddsombud: " + ", ".join(p for p in (officer.namn, officer.epost,
                                                                          officer.telefon) if p), "small"))
    story.append(pdf.text(meta["om_utdraget"], "small"))

    roles = ", ".join(row["role"] for row in tables.get("person_roles", []))
    _section(story, "Uppgifter från personalsystemet", ["Uppgift", "Värde"], [
        ["Namn", person.get("name")], ["E-post", person.get("email") or "–"], ["Enhet", meta.get("enhet")],
        ["Befattning", person.get("title") or "–"], ["Anställd från", _day(person.get("start_date"))],
        ["Anställd till", _day(person.get("end_date")) or "–"], ["Roller", roles or "–"]], [0.3, 0.7])
    _section(story, "Inloggningar", ["Identitetsleverantör", "Id hos leverantören", "Kopplad", "Senast inloggad"],
             [[row["issuer"], row["subject"], _day(row["bound_at"]), _moment(row["last_sign_in_at"])]
              for row in tables.get("identities", [])], [0.4, 0.3, 0.15, 0.15])
    managed = [row["name"] for row in tables.get("units", [])]
    if managed:
        story.append(pdf.text("Chef för: " + ", ".join(managed), "body"))

    _section(story, "Genomförda moduler", ["Modul", "Klar", "Resultat", "Innehållsversion"],
             [[module(row["module_id"]), _day(row["completed_at"]), f"{row['score_percent']:.0f} %",
               row["content_version"]] for row in tables.get("completions", [])], [0.45, 0.15, 0.15, 0.25])
    _section(story, "Klarade via diagnos", ["Modul", "Dag", "Innehållsversion"],
             [[module(row["module_id"]), _day(row["waived_at"]), row["content_version"]]
              for row in tables.get("waivers", [])], [0.5, 0.2, 0.3])
    _section(story, "Bekräftelser av riktlinjerna", ["Spår", "Riktlinjernas version", "Bekräftat"],
             [[row["track_id"], row["guideline_version"], _moment(row["attested_at"])]
              for row in tables.get("attestations", [])], [0.4, 0.3, 0.3])
    _section(story, "Intyg", ["Kod", "Spår", "Klar", "Namn på intyget", "Utfärdat"],
             [[row["code"], row["track_title"], _day(row["completed_on"]), row["person_name"], _day(row["issued_at"])]
              for row in tables.get("certificates", [])], [0.15, 0.35, 0.12, 0.25, 0.13])

    attempts = {row["id"]: row for row in tables.get("attempts", [])}
    _section(story, "Försök", ["Modul", "Slag", "Påbörjat", "Avslutat", "Utfall", "Resultat"],
             [[owner(row), ATTEMPT_KINDS.get(row["kind"], row["kind"]), _moment(row["started_at"]),
               _moment(row["finished_at"]) or "pågår", OUTCOMES.get(row["outcome"], row["outcome"] or "–"),
               "–" if row["score_percent"] is None else f"{row['score_percent']:.0f} %"]
              for row in attempts.values()], [0.3, 0.12, 0.17, 0.17, 0.12, 0.12])
    answers = []
    for row in tables.get("steps", []):
        attempt = attempts.get(row["attempt_id"], {})
        item = row["item"]
        text = questions[item].text if item in questions else item
        right = "–" if row["correct"] is None else ("rätt" if row["correct"] else "fel")
        answers.append([_moment(row["answered_at"]), owner(attempt), text,
                        str(row["response"]), right])
    _section(story, "Svar", ["Tid", "Modul", "Fråga eller situation", "Svar (alternativ nr)", "Rätt?"], answers,
             [0.15, 0.2, 0.43, 0.12, 0.1])
    _section(story, "Gruppsessioner", ["Scenario", "Dag", "Ledde du den?", "Bekräftade deltagare"],
             _group_rows(tables, meta["person_id"], course.scenarios if course is not None else {}),
             [0.5, 0.15, 0.15, 0.2])
    you = lambda who: "du" if who == meta["person_id"] else (who or "–")  # noqa: E731
    _section(story, "Rätt att leda gruppövningar", ["Vem", "Enhet", "Given", "Av"],
             [[you(row["person_id"]), row["unit_id"], _day(row["granted_at"]), you(row["granted_by"])]
              for row in tables.get("facilitator_rights", [])], [0.25, 0.35, 0.15, 0.25])
    _section(story, "Egna reflektioner", ["Modul", "Delad med chefen", "Text", "Ändrad"],
             [[module(row["module_id"]), "ja" if row["shared"] else "nej", row["text"], _day(row["updated_at"])]
              for row in tables.get("reflections", [])], [0.2, 0.12, 0.55, 0.13])
    _section(story, "Skickade påminnelser", ["Skickad", "Slag", "Till", "Ämne"],
             [[_moment(row["sent_at"]), row["kind"], row["email"], row["subject"]]
              for row in tables.get("sent_messages", [])], [0.17, 0.18, 0.3, 0.35])
    person_id = meta["person_id"]
    _section(story, "Granskningslogg: vem som har sett eller gjort vad", ["Tid", "Vem", "Vad", "Om vem"],
             [[_moment(row["at"]), "du" if row["actor_id"] == person_id else (row["actor_id"] or "systemet"),
               ACTIONS.get(row["action"], row["action"]),
               "dig" if row["subject_id"] == person_id else (row["subject_id"] or "–")]
              for row in tables.get("audit_events", [])], [0.17, 0.25, 0.38, 0.2])
    footer = " · ".join(part for part in (org_name, f"Registerutdrag för {person_id}") if part)
    return pdf.build(story, f"Registerutdrag: {meta['namn']}", footer, generated or date.today())
