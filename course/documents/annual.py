"""The annual report for kommunstyrelsen: the figures as a plain data object, its summary and statement of
method in Swedish, and the PDF (ReportLab) and XLSX (openpyxl) made from it. Pure: data in, bytes out.

`progress.annual.build_report` fills an `AnnualReport` from the store; nothing here reads a database.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from course import rules
from course.documents import pdf
from course.rules import ADMINISTRATION_KINDS, MIN_ANSWERS_YEAR_TOPIC, MIN_GROUP_NAMED
from course.plain import safe_workbook

MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")
WEAKEST_SHOWN = 5
PREVIOUS_COLOUR = colors.HexColor("#a9bcd0")


class YearOnYear:
    """A part of a whole, counted in the year and in the year before: `share` and `previous_share` are 0–1, None
    when nothing was counted (rules.share); `change_points` is the change between them in percentage points."""

    def counts(self) -> tuple[int, int, int, int]:
        """(part, whole) of the year, then (part, whole) of the year before."""
        raise NotImplementedError

    @property
    def share(self) -> float | None:
        part, whole, _, _ = self.counts()
        return rules.share(part, whole)

    @property
    def previous_share(self) -> float | None:
        _, _, part, whole = self.counts()
        return rules.share(part, whole)

    @property
    def change_points(self) -> float | None:
        now, before = self.share, self.previous_share
        return None if now is None or before is None else 100 * (now - before)


@dataclass(frozen=True)
class Coverage(YearOnYear):
    """People counted in one group on the year's day and on last year's, and how many of them were done."""

    key: str
    name: str
    people: int
    done: int
    overdue: int  # people with at least one module past its due date
    previous_people: int
    previous_done: int

    def counts(self) -> tuple[int, int, int, int]:
        return self.done, self.people, self.previous_done, self.previous_people


@dataclass(frozen=True)
class YearTopicResult(YearOnYear):
    """First answers on one topic in the year and the year before."""

    topic: str
    title: str
    answered: int
    correct: int
    previous_answered: int
    previous_correct: int
    ranked: bool  # enough answers this year to be ranked among the weakest

    def counts(self) -> tuple[int, int, int, int]:
        return self.correct, self.answered, self.previous_correct, self.previous_answered


@dataclass(frozen=True)
class GroupYear:
    """Group sessions at workplace meetings (APT) in the year, in one group (a förvaltning, or everyone): the
    sessions held with at least one person confirmed, the confirmed participations, and the different people."""

    key: str
    name: str
    sessions: int = 0
    participations: int = 0  # one per person and session
    people: int = 0


@dataclass(frozen=True)
class AnnualReport:
    organisation: str
    year: int
    as_of: date  # the year's last day, or the day the report was made during the year
    previous_as_of: date
    generated_on: date
    total: Coverage
    by_administration: tuple[Coverage, ...]
    by_role: tuple[Coverage, ...]
    topics: tuple[YearTopicResult, ...]  # ranked ones first, weakest first; then the ones with too few answers
    completions: int  # modules completed in the year (up to as_of)
    waivers: int  # modules passed by the refresher's diagnostic in the year
    previous_completions: int
    previous_waivers: int
    min_topic_answers: int = MIN_ANSWERS_YEAR_TOPIC
    group_total: GroupYear = field(default_factory=lambda: GroupYear("", "Hela organisationen"))
    group_by_administration: tuple[GroupYear, ...] = ()  # the förvaltningar that held one, by name
    previous_group_total: GroupYear = field(default_factory=lambda: GroupYear("", "Hela organisationen"))

    @property
    def weakest(self) -> tuple[YearTopicResult, ...]:
        return tuple(topic for topic in self.topics if topic.ranked)[:WEAKEST_SHOWN]

    @property
    def complete_year(self) -> bool:
        return self.as_of == date(self.year, 12, 31)


# --- words and numbers in Swedish ---------------------------------------------------------------------------

def swedish_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def percent(share: float | None) -> str:
    return "–" if share is None else f"{round(100 * share)} %"


def points(change: float | None) -> str:
    if change is None:
        return "–"
    rounded = round(change)
    return f"+{rounded}" if rounded > 0 else str(rounded)


def number(value: int) -> str:
    return f"{value:,}".replace(",", "\u00a0")  # Swedish thousands separator: a (non-breaking) space


def summary(report: AnnualReport) -> list[str]:
    """A few sentences for politicians: the whole picture before any table."""
    total = report.total
    day = swedish_date(report.as_of)
    if not total.people:
        return [f"Den {day} fanns ingen anställd eller förtroendevald som skulle gå utbildningen."]
    lines = [f"Den {day} hade {percent(total.share)} av de {number(total.people)} anställda och förtroendevalda "
             f"som ska gå utbildningen gått klart allt de skulle ({number(total.done)} personer)."]
    if total.previous_share is not None:
        change = total.change_points
        size = abs(round(change))
        trend = ("samma andel som" if size == 0 else
                 f"{size} {'procentenhet' if size == 1 else 'procentenheter'} {'mer' if change > 0 else 'mindre'} än")
        lines.append(f"Det är {trend} ett år tidigare ({percent(total.previous_share)} den "
                     f"{swedish_date(report.previous_as_of)}).")
    groups = [group for group in report.by_administration if group.people >= MIN_GROUP_NAMED]
    if len(groups) > 1:
        best = max(groups, key=lambda group: (group.share, group.people))
        worst = min(groups, key=lambda group: (group.share, -group.people))
        smaller = len(report.by_administration) - len(groups)
        among = (f"Bland förvaltningarna med minst {MIN_GROUP_NAMED} personer har" if smaller
                 else "Av förvaltningarna har")
        lines.append(f"{among} {best.name} högst andel klara ({percent(best.share)}) och {worst.name} lägst "
                     f"({percent(worst.share)}).")
    if total.overdue:
        lines.append(f"{number(total.overdue)} personer hade minst en modul som var försenad.")
    done = f"Under {report.year} gick deltagarna klart {number(report.completions)} moduler"
    lines.append(done + (f", och {number(report.waivers)} moduler klarades via diagnosen i repetitionen."
                         if report.waivers else "."))
    group = report.group_total
    if group.sessions:
        lines.append(f"På arbetsplatsträffarna hölls {number(group.sessions)} "
                     f"{'gruppövning' if group.sessions == 1 else 'gruppövningar'} med "
                     f"{number(group.participations)} {'deltagande' if group.participations == 1 else 'deltaganden'}"
                     f" av sammanlagt {number(group.people)} {'person' if group.people == 1 else 'personer'}.")
    if report.weakest:
        weakest = report.weakest[0]
        lines.append(f"Svagast var ämnet {weakest.title}: {percent(weakest.share)} svarade rätt första gången. "
                     "Det är ett ämne att ta upp på arbetsplatsträffar.")
    if not report.complete_year:
        lines.append(f"Året är inte slut: siffrorna gäller den {day}.")
    return lines


def method(report: AnnualReport) -> list[tuple[str, str]]:
    """The statement of method: (heading, text) in plain Swedish."""
    day, previous_day = swedish_date(report.as_of), swedish_date(report.previous_as_of)
    kinds = ", ".join(ADMINISTRATION_KINDS[:-1]) + " eller " + ADMINISTRATION_KINDS[-1]
    return [
        ("Vilka som räknas",
         f"Rapporten räknar alla som var anställda eller hade ett uppdrag den {day} och som har minst en modul att "
         "gå enligt sina roller. Den som har slutat före den dagen räknas inte. Den som inte har någon modul att "
         "gå, till exempel den som bara administrerar utbildningen, räknas inte heller."),
        ("Vad som räknas som klart",
         "En person räknas som klar när alla moduler som personen ska gå var klara den dagen. En modul är klar när "
         "personen har spelat alla scenarier till ett slut och klarat testet, eller när personen klarade modulen "
         "via diagnosen i början av en repetition. En modul som har blivit dags att gå igen räknas inte som klar. "
         "Den som är nyanställd och ännu inte hunnit gå klart räknas som inte klar."),
        ("Förvaltning",
         f"En person hör till den närmaste enheten på eller över sin egen enhet som är en {kinds}. Finns ingen "
         "sådan räknas personen under den översta enheten. Organisationen och rollerna är de som finns i "
         "personalregistret när rapporten görs: registret sparar inte byten bakåt i tiden."),
        ("Roller",
         "En person med flera roller räknas under var och en av dem. Därför kan summan av personer per roll bli "
         "större än antalet personer. Vilka moduler en person ska gå bestäms av alla personens roller tillsammans."),
        ("Jämförelse med förra året",
         f"Förra årets siffror räknas på samma sätt den {previous_day}, med det som fanns registrerat den dagen. "
         "Skillnaden anges i procentenheter."),
        ("Ämnen",
         f"Andelen rätt per ämne räknas på första svaret: den första gången en person svarade på en fråga, innan "
         f"kursens förklaringar hunnit visa rätt svar. Alla första svar under {report.year} räknas, också från "
         f"personer som har slutat. Ämnen med färre än {report.min_topic_answers} svar under året rangordnas inte."),
        ("Gruppövningar",
         "En gruppövning är ett scenario som en enhet spelar tillsammans på en arbetsplatsträff, lett av en chef "
         f"eller någon annan som får leda gruppövningar. Den räknas under {report.year} om mötet hölls då och minst "
         "en deltagare har bekräftats av den som ledde den. Ett deltagande är en bekräftad person i en gruppövning: den som var med på två räknas som två "
         "deltaganden men som en person. En gruppövning räknas under förvaltningen för den enhet den hölls för, "
         "också när några deltagare kom från andra enheter. Den som deltog i gruppövningar i flera förvaltningar "
         "räknas som person i var och en av dem, så summan av personer per förvaltning kan bli större än antalet "
         "i hela organisationen."),
        ("Vad rapporten inte visar",
         "Rapporten visar vad människor har gått och hur de svarade i kursen. Den visar inte hur de handlar i "
         "sitt arbete, och inte om någon har brutit mot reglerna. Den visar inga enskilda personers svar. "
         "Genomförda moduler räknas per tillfälle: den som gick samma modul två gånger räknas två gånger."),
    ]


def _group_figures(report: AnnualReport) -> list[tuple[str, int, int]]:
    """The year's group sessions beside the year before: (what, this year, the year before)."""
    now, before = report.group_total, report.previous_group_total
    return [("Gruppövningar på APT", now.sessions, before.sessions),
            ("Deltaganden i gruppövningar", now.participations, before.participations),
            ("Personer som deltog i en gruppövning", now.people, before.people)]


# --- PDF ----------------------------------------------------------------------------------------------------

def _coverage_table(title: str, groups: tuple[Coverage, ...], report: AnnualReport):
    header = [title, "Personer", "Klara", f"Andel {report.year}", f"Andel {report.year - 1}", "Förändring",
              "Försenade"]
    rows = [[g.name, number(g.people), number(g.done), percent(g.share), percent(g.previous_share),
             points(g.change_points), number(g.overdue)] for g in groups]
    width = pdf.CONTENT_WIDTH
    return pdf.table(header, rows, [width * 0.34] + [width * 0.11] * 6)


CHART_ROWS = 30  # förvaltningar per drawing: a drawing taller than the page cannot be split by ReportLab


def _charts(report: AnnualReport) -> list[Drawing]:
    groups = [group for group in report.by_administration if group.people or group.previous_people]
    return [_chart(report, groups[start:start + CHART_ROWS]) for start in range(0, len(groups), CHART_ROWS)]


def _chart(report: AnnualReport, groups: list[Coverage]) -> Drawing:
    groups = groups[::-1]  # ReportLab draws the first category at the bottom
    row_height = 16
    height = row_height * len(groups) + 40
    drawing = Drawing(pdf.CONTENT_WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 28
    chart.width, chart.height = pdf.CONTENT_WIDTH - 170, row_height * len(groups)
    chart.data = [[100 * (g.previous_share or 0) for g in groups], [100 * (g.share or 0) for g in groups]]
    chart.categoryAxis.categoryNames = [g.name if len(g.name) <= 34 else g.name[:33] + "…" for g in groups]
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.labelTextFormat = "%d %%"
    chart.bars[0].fillColor = PREVIOUS_COLOUR
    chart.bars[1].fillColor = pdf.ACCENT
    chart.bars.strokeColor = None
    chart.barSpacing = 1
    chart.groupSpacing = 4
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 150, 10
    legend.fontName, legend.fontSize = "Helvetica", 7.5
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 70
    legend.colorNamePairs = [(PREVIOUS_COLOUR, str(report.year - 1)), (pdf.ACCENT, str(report.year))]
    drawing.add(legend)
    drawing.add(String(0, height - 8, f"Andel klara per förvaltning {report.year - 1} och {report.year}", fontName="Helvetica-Bold", fontSize=8.5,
                       fillColor=pdf.ACCENT))
    return drawing


def annual_pdf(report: AnnualReport) -> bytes:
    """The report as PDF: the summary for politicians first, then a chart, the tables and the method."""
    story = [pdf.text(f"Utbildning mot mutor och jäv: årsrapport {report.year}", "title"),
             pdf.text(f"{report.organisation} · till kommunstyrelsen · siffrorna gäller den "
                      f"{swedish_date(report.as_of)}", "small"),
             pdf.spacer(3),
             pdf.text("Sammanfattning", "heading")]
    story += [pdf.text(line) for line in summary(report)]
    for chart in _charts(report):
        story += [pdf.spacer(4), chart]
    story += [pdf.text("Andel klara per förvaltning", "heading"),
              _coverage_table("Förvaltning", report.by_administration + (report.total,), report),
              pdf.text("Andel klara per roll", "heading"),
              _coverage_table("Roll", report.by_role, report),
              pdf.text("Förändring: skillnaden mot förra året i procentenheter. Försenade: personer med minst en "
                       "modul vars sista dag har passerat.", "small"),
              pdf.text("Svagaste ämnen", "heading")]
    if report.weakest:
        width = pdf.CONTENT_WIDTH
        story.append(pdf.table(
            ["Ämne", "Första svar", f"Andel rätt {report.year}", f"Andel rätt {report.year - 1}", "Förändring"],
            [[t.title, number(t.answered), percent(t.share), percent(t.previous_share), points(t.change_points)]
             for t in report.weakest], [width * 0.4] + [width * 0.15] * 4))
    else:
        story.append(pdf.text(f"Inga ämnen hade minst {report.min_topic_answers} första svar under {report.year}."))
    story += [pdf.text("Genomfört under året", "heading"),
              pdf.table(["", str(report.year), str(report.year - 1)],
                        [["Genomförda moduler", number(report.completions), number(report.previous_completions)],
                         ["Klarade via diagnos", number(report.waivers), number(report.previous_waivers)]]
                        + [[name, number(count), number(previous_count)]
                           for name, count, previous_count in _group_figures(report)],
                        [pdf.CONTENT_WIDTH * 0.4, pdf.CONTENT_WIDTH * 0.15, pdf.CONTENT_WIDTH * 0.15])]
    if report.group_by_administration:
        width = pdf.CONTENT_WIDTH
        story += [pdf.text(f"Gruppövningar på APT per förvaltning {report.year}", "heading"),
                  pdf.table(["Förvaltning", "Gruppövningar", "Deltaganden", "Personer"],
                            [[g.name, number(g.sessions), number(g.participations), number(g.people)]
                             for g in report.group_by_administration + (report.group_total,)],
                            [width * 0.46] + [width * 0.18] * 3)]
    story.append(pdf.text("Metod", "heading"))
    for heading, paragraph in method(report):
        story.append(pdf.markup(f"<b>{heading}.</b> {paragraph}"))
        story.append(pdf.spacer(1.5))
    return pdf.build(story, f"Årsrapport {report.year}", f"{report.organisation} · Gränsfall · årsrapport "
                     f"{report.year}", report.generated_on)


# --- XLSX ---------------------------------------------------------------------------------------------------

PERCENT_FORMAT = "0.0%"
POINTS_FORMAT = "+0.0;-0.0;0.0"
HEADER_FILL = PatternFill("solid", fgColor="E8EEF4")


def annual_xlsx(report: AnnualReport) -> bytes:
    """The report as a workbook: Täckning, Trender, Svagaste ämnen and Metod; every table starts at A1 so that
    it can be filtered and sorted as it is. Shares are numbers formatted as percentages."""
    workbook = Workbook()
    year, previous = report.year, report.year - 1

    coverage = workbook.active
    coverage.title = "Täckning"
    _table(coverage, ["Indelning", "Namn", "Personer", "Klara", "Andel klara", "Försenade"],
           [[kind, g.name, g.people, g.done, g.share, g.overdue] for kind, g in _groups(report)],
           {5: PERCENT_FORMAT})

    trends = workbook.create_sheet("Trender")
    _table(trends, ["Indelning", "Namn", f"Personer {previous}", f"Klara {previous}", f"Andel klara {previous}",
                    f"Personer {year}", f"Klara {year}", f"Andel klara {year}", "Förändring (procentenheter)"],
           [[kind, g.name, g.previous_people, g.previous_done, g.previous_share, g.people, g.done, g.share,
             g.change_points] for kind, g in _groups(report)]
           + [["Genomfört", "Genomförda moduler", None, report.previous_completions, None, None, report.completions,
               None, None],
              ["Genomfört", "Klarade via diagnos", None, report.previous_waivers, None, None, report.waivers, None,
               None]]
           + [["Gruppövningar", name, None, previous_count, None, None, count, None, None]
              for name, count, previous_count in _group_figures(report)],
           {5: PERCENT_FORMAT, 8: PERCENT_FORMAT, 9: POINTS_FORMAT})

    topics = workbook.create_sheet("Svagaste ämnen")
    _table(topics, ["Ämne", f"Första svar {year}", f"Rätt {year}", f"Andel rätt {year}", f"Första svar {previous}",
                    f"Andel rätt {previous}", "Förändring (procentenheter)", "Rangordnat"],
           [[t.title, t.answered, t.correct, t.share, t.previous_answered, t.previous_share, t.change_points,
             "ja" if t.ranked else f"nej, färre än {report.min_topic_answers} svar"] for t in report.topics],
           {4: PERCENT_FORMAT, 6: PERCENT_FORMAT, 7: POINTS_FORMAT})

    statement = workbook.create_sheet("Metod")
    statement.column_dimensions["A"].width = 28
    statement.column_dimensions["B"].width = 110
    rows = [("Rapport", f"Årsrapport {year}, {report.organisation}"), ("Siffrorna gäller", report.as_of),
            ("Jämförs med", report.previous_as_of), ("Gjord", report.generated_on), ("", "")]
    rows += [("Sammanfattning", " ".join(summary(report))), ("", "")] + method(report)
    for row in rows:
        statement.append(list(row))
    for cells in statement.iter_rows():
        cells[0].font = Font(bold=True)
        cells[0].alignment = Alignment(vertical="top")
        cells[1].alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
        if isinstance(cells[1].value, date):
            cells[1].number_format = "yyyy-mm-dd"
    safe_workbook(workbook)  # a förvaltning named =HYPERLINK(...) stays text, never a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _groups(report: AnnualReport) -> list[tuple[str, Coverage]]:
    return ([("Hela organisationen", report.total)] + [("Förvaltning", g) for g in report.by_administration]
            + [("Roll", g) for g in report.by_role])


def _table(sheet, header: list[str], rows: list[list], formats: dict[int, str]) -> None:
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, number_format in formats.items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = number_format
    for index, title in enumerate(header, 1):
        longest = max([len(str(title))] + [len(str(row[index - 1] or "")) for row in rows if index <= len(row)])
        sheet.column_dimensions[get_column_letter(index)].width = min(45, max(10, longest + 2))
    sheet.freeze_panes = "A2"
