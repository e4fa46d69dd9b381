"""The medarbetarsamtal on one A4 page: to print, or to attach to the talk's notes.

It shows what the manager may see and nothing more: status, history, the group sessions at workplace meetings,
per-topic counts and shares, confident wrong answers counted per topic, the reflections the learner chose to
share, the three talking points and lines for notes. Never which answer was given to which question. In
Swedish or English (i18n's pdf_talk_*).

Long histories and many topics are cut to what fits (newest completions, weakest topics first, with a line
saying how many more), and the whole page is then shrunk to one page if it still does not fit.
"""

from __future__ import annotations

from datetime import date
from typing import Sequence

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepInFrame, Table, TableStyle

from course.documents import pdf
from course.plain import pdf_text
from course.rules import DONE_STATUSES
from course.talking_points import TalkingPoint

MAX_HISTORY = 6
MAX_GROUP_SESSIONS = 4  # the newest; a line says how many more
MAX_TOPICS = 8
REFLECTION_CHARS = 240
NOTE_LINES = 4
FRAME_HEIGHT = 297 * mm - 16 * mm - 18 * mm - 14  # A4 minus pdf.build's margins and the frame's padding


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f} %"


def talk_pdf(course, *, name: str, unit_name: str, title: str | None, summary,
             points: Sequence[TalkingPoint], generated: date, language: str = "sv") -> bytes:
    """One page, in `language` (sv or en: the headings, the statuses and the modules' titles where they have a
    translation; `points` come in the language they were made in). `summary` is a progress.talk.TalkSummary as
    the manager sees it (shared reflections only)."""
    word = pdf.words(language)
    def module_title(module_id: str) -> str:
        return course.module_title(module_id, language)

    def scenario_title(scenario_id: str) -> str:
        scenario = course.scenarios.get(scenario_id)  # as played, in its own language; a removed one by its id
        return scenario.title if scenario is not None else scenario_id

    def status(value) -> str:
        return word(f"status_{getattr(value, 'value', value)}")

    def due(row) -> str:
        """When the module must be done; for a module already done, when its next round falls due."""
        if row.due is None:
            return "–"
        return word("pdf_talk_next_due", date=row.due.isoformat()) if row.status in DONE_STATUSES \
            else row.due.isoformat()

    def result(entry) -> str:
        day = entry.at.date().isoformat()
        return word("pdf_talk_via_diagnosis", date=day) if entry.via_diagnosis else \
            word("pdf_talk_score", date=day, score=f"{entry.score:.0f}")

    story = [pdf.text(word("pdf_talk_title", name=name), "title"),
             pdf.text(" · ".join(part for part in (title, unit_name,
                                                   word("pdf_talk_printed", date=generated.isoformat())) if part),
                      "small")]

    # Status and the latest completion share one table; older completions follow as one line.
    latest: dict[str, object] = {}
    for entry in summary.history:  # newest first
        latest.setdefault(entry.module_id, entry)
    story.append(pdf.text(word("pdf_talk_status_heading"), "heading"))
    if summary.status:
        story.append(pdf.table([word("pdf_talk_col_module"), word("pdf_talk_col_status"), word("pdf_talk_col_due"),
                                word("pdf_talk_col_last_done")],
                               [(module_title(row.module_id), status(row.status),
                                 due(row), result(latest[row.module_id]) if row.module_id in latest else "–")
                                for row in summary.status],
                               widths=[70 * mm, 26 * mm, 30 * mm, pdf.CONTENT_WIDTH - 126 * mm]))
    else:
        story.append(pdf.text(word("pdf_talk_no_modules")))
    assigned = {row.module_id for row in summary.status}
    earlier = [entry for entry in summary.history
               if latest.get(entry.module_id) is not entry or entry.module_id not in assigned]
    if earlier:
        shown = earlier[:MAX_HISTORY]
        more = f" {word('pdf_talk_and_more', count=len(earlier) - len(shown))}" if len(earlier) > len(shown) else ""
        story.append(pdf.text(word("pdf_talk_earlier", items="; ".join(f"{module_title(e.module_id)} {result(e)}"
                                                                         for e in shown)) + more, "small"))
    elif not summary.history:
        story.append(pdf.text(word("pdf_talk_nothing_done"), "small"))

    # Group sessions are a record of their own, beside the completions; only when there are any (one page)
    group_sessions = summary.group_sessions  # newest first
    if group_sessions:
        story.append(pdf.text(word("pdf_talk_group_heading"), "heading"))
        shown = group_sessions[:MAX_GROUP_SESSIONS]
        story.append(pdf.table([word("pdf_talk_group_col_date"), word("pdf_talk_group_col_scenario"),
                                word("pdf_talk_group_col_facilitator"), word("pdf_talk_group_col_ending")],
                               [(record.held_on.isoformat(), scenario_title(record.scenario_id),
                                 record.facilitator_name,  # from the HR file: pdf.table prints it as text
                                 word(f"scenario_ending_{record.ending}") if record.ending
                                 else word("talk_group_no_ending")) for record in shown],
                               widths=[22 * mm, 70 * mm, 45 * mm, pdf.CONTENT_WIDTH - 137 * mm]))
        if len(group_sessions) > len(shown):
            story.append(pdf.text(word("pdf_talk_and_more", count=len(group_sessions) - len(shown)), "small"))

    story.append(pdf.text(word("pdf_talk_topics_heading"), "heading"))
    if summary.topics:
        weakest = sorted(summary.topics, key=lambda t: (t.share_latest, -t.misconceptions, -t.answered))
        shown = weakest[:MAX_TOPICS]
        story.append(pdf.text(word("pdf_talk_topics_help"), "small"))
        story.append(pdf.table([word("pdf_talk_col_topic"), word("pdf_talk_col_questions"),
                                word("pdf_talk_col_right_first"), word("pdf_talk_col_right_latest"),
                                word("pdf_talk_col_sure_wrong")],
                               [(course.topic_title(t.topic, language), t.answered, _percent(t.share_first),
                                 _percent(t.share_latest), t.misconceptions or "–") for t in shown],
                               widths=[70 * mm, 18 * mm, 32 * mm, 25 * mm, pdf.CONTENT_WIDTH - 145 * mm]))
        rest = weakest[len(shown):]
        if rest:
            lowest = min(t.share_latest for t in rest)
            story.append(pdf.text(word("pdf_talk_more_topics", count=len(rest), share=_percent(lowest)), "small"))
        sure_wrong = sorted((t for t in summary.topics if t.misconceptions), key=lambda t: -t.misconceptions)
        story.append(pdf.text(word("pdf_talk_sure_wrong", topics=(
            ", ".join(f"{course.topic_title(t.topic, language)} ({t.misconceptions})" for t in sure_wrong)
            if sure_wrong else word("pdf_talk_sure_wrong_none"))), "body"))
    else:
        story.append(pdf.text(word("pdf_talk_no_topics")))

    shared = [r for r in summary.reflections if r.shared]
    if shared:
        story.append(pdf.text(word("pdf_talk_reflections_heading"), "heading"))
        for item in shared:
            text = " ".join(item.text.split())
            text = text if len(text) <= REFLECTION_CHARS else text[:REFLECTION_CHARS].rsplit(" ", 1)[0] + " …"
            story.append(pdf.text(word("pdf_talk_quote", module=module_title(item.module_id), text=text)))

    story.append(pdf.text(word("pdf_talk_points_heading"), "heading"))
    for number, point in enumerate(points, 1):
        story.append(pdf.markup(f"<b>{number}. {pdf_text(point.title)}</b>"))
        story.append(pdf.text(point.text, "small"))

    story.append(pdf.text(word("pdf_talk_notes_heading"), "heading"))
    lines = Table([[""] for _ in range(NOTE_LINES)], colWidths=[pdf.CONTENT_WIDTH], rowHeights=[8 * mm] * NOTE_LINES)
    lines.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5ad"))]))
    story.append(lines)

    page = KeepInFrame(pdf.CONTENT_WIDTH, FRAME_HEIGHT, story, mode="shrink")
    organisation = course.organisation.namn if course.organisation else "Gränsfall"
    return pdf.build([page], title=word("pdf_talk_document_title", name=name), footer=f"Gränsfall · {organisation}",
                     generated=generated)
