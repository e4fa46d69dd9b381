"""Coverage: per track, the fact sheet's rule sections against the scenarios that teach them and the questions
that test them, with the requirements of config/coverage.yaml and the gaps. Pure: a Course and the requirements
in, plain data out; `python -m course coverage` prints it (a table or JSON) and exits 1 on a gap.

A scenario teaches a section when one of its choices cites a source of that section (legal_sources.yaml's
`fakta:`); a question tests it when it cites one. Only the track's own modules count (their scenarios and
their question banks), never a translation's copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from course.content.coverage_config import (GIVING_SIDE, THEMES, FaktaSection, Requirements, cites_theme,
                                            fakta_sections, rule_sections, scenario_sections)
from course.content.loader import Course, LegalSource, Problem, legal_sources

THEME_CODES = {"benefit_offered": "W813", "jav_in_own_role": "W814", "reporting": "W815"}
THEME_MISSING = {
    "benefit_offered": "Inget scenario där spårets egen målgrupp erbjuds en förmån.",
    "jav_in_own_role": "Inget scenario om jäv i spårets egen roll.",
    "reporting": "Inget scenario om att rapportera en misstanke.",
}


@dataclass(frozen=True)
class Gap:
    """Something config/coverage.yaml requires that the content lacks, at the line that requires it."""

    code: str  # W811 not taught, W812 not tested, W813-W815 a track's scenario missing, W816 no giving side
    kind: str  # not_taught | not_tested | benefit_offered | jav_in_own_role | reporting | giving_side
    track: str | None
    section: str | None
    problem: Problem

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "kind": self.kind, "track": self.track, "section": self.section,
                **{k: v for k, v in self.problem.as_dict().items() if k != "code"}}


@dataclass(frozen=True)
class SectionRow:
    section: FaktaSection
    required: bool
    scenarios: tuple[str, ...]  # of the track's modules, whose choices cite the section
    questions: tuple[str, ...]  # of the track's modules' banks, that cite the section

    @property
    def not_taught(self) -> bool:
        return self.required and not self.scenarios

    @property
    def not_tested(self) -> bool:
        return self.required and not self.questions


@dataclass(frozen=True)
class TrackCoverage:
    id: str
    title: str
    modules: tuple[str, ...]
    rows: tuple[SectionRow, ...]
    themes: Mapping[str, tuple[str, ...]]  # benefit_offered / jav_in_own_role / reporting -> scenario ids
    gaps: tuple[Gap, ...]
    has_requirements: bool


@dataclass(frozen=True)
class CoverageReport:
    tracks: tuple[TrackCoverage, ...]
    giving_side: tuple[str, ...] | None  # None: the course level was left out (one track asked for)
    course_gaps: tuple[Gap, ...] = field(default_factory=tuple)
    requirements_path: str | None = None

    @property
    def gaps(self) -> list[Gap]:
        return [gap for track in self.tracks for gap in track.gaps] + list(self.course_gaps)


def coverage(course: Course, requirements: Requirements | None, track_id: str | None = None,
             sources: Mapping[str, LegalSource] | None = None) -> CoverageReport:
    """The coverage of every track (or of `track_id`, without the course level), against `requirements`
    (None: no requirements, so no gaps)."""
    sources = legal_sources() if sources is None else sources
    tracks = [course.tracks[track_id]] if track_id else list(course.tracks.values())
    reports = []
    for track in tracks:
        wanted = requirements.config.tracks.get(track.id) if requirements else None
        scenario_ids = [s for m in track.modules for s in course.modules[m].scenarios]
        taught = {s: scenario_sections(course.scenarios[s], sources) for s in scenario_ids}
        questions = [q for m in track.modules for q in course.banks[course.modules[m].quiz].questions]
        tested = {q.id: {sources[c].fakta for c in q.cite if c in sources} for q in questions}
        required = list(wanted.sections) if wanted else []
        rows = tuple(SectionRow(section, section.id in required,
                                tuple(s for s in scenario_ids if section.id in taught[s]),
                                tuple(q for q, cited in tested.items() if section.id in cited))
                     for section in rule_sections())
        themes = {key: tuple(getattr(wanted, key)) if wanted else () for key in THEMES}
        gaps: list[Gap] = []
        if wanted is not None:
            by_id = {row.section.id: row for row in rows}
            for index, section_id in enumerate(required):
                row = by_id.get(section_id)
                if row is None:  # not a rule section: lint reports it (E802)
                    continue
                line = requirements.line_of("tracks", track.id, "sections", index)
                name = f"§{section_id} {row.section.title}"
                if row.not_taught:
                    gaps.append(Gap("W811", "not_taught", track.id, section_id, Problem(
                        requirements.path, line, "W811",
                        f"Spåret '{track.id}': {name} lärs inte ut i något scenario.",
                        f"Skriv ett scenario i spårets moduler ({', '.join(track.modules)}) vars val citerar "
                        "ett lagrum ur avsnittet, eller låt ett befintligt scenarios återkoppling citera det.")))
                if row.not_tested:
                    gaps.append(Gap("W812", "not_tested", track.id, section_id, Problem(
                        requirements.path, line, "W812",
                        f"Spåret '{track.id}': {name} prövas inte av någon fråga.",
                        "Skriv en fråga i någon av spårets frågebanker som citerar ett lagrum ur avsnittet "
                        "(ett verifierat, inte EV/OSÄKERT).")))
            for key, ids in themes.items():
                wanted_rule = THEMES[key][0]
                if not any(s in taught and cites_theme(taught[s], wanted_rule) for s in ids):
                    gaps.append(Gap(THEME_CODES[key], key, track.id, None, Problem(
                        requirements.path, requirements.line_of("tracks", track.id, key), THEME_CODES[key],
                        f"Spåret '{track.id}': {THEME_MISSING[key]}",
                        f"Skriv ett sådant scenario i spårets moduler ({', '.join(track.modules)}) och lägg "
                        f"till det under {key}: i {requirements.path}.")))
        reports.append(TrackCoverage(track.id, track.title, tuple(track.modules), rows, themes, tuple(gaps),
                                     wanted is not None))
    if track_id is not None:
        return CoverageReport(tuple(reports), None, (), requirements.path if requirements else None)
    giving = tuple(requirements.config.giving_side) if requirements else ()
    course_gaps: tuple[Gap, ...] = ()
    if requirements is not None and not any(
            s in course.scenarios and cites_theme(scenario_sections(course.scenarios[s], sources), GIVING_SIDE[0])
            for s in giving):
        course_gaps = (Gap("W816", "giving_side", None, None, Problem(
            requirements.path, requirements.line_of("giving_side"), "W816",
            "Kursen har inget scenario från givarsidan, där kommunens personal erbjuder något till den som "
            "beslutar över dem.",
            "Skriv ett sådant scenario (t.ex. representation mot en tillsynsmyndighet, fakta 1.2) och lägg till "
            f"det under giving_side: i {requirements.path}.")),)
    return CoverageReport(tuple(reports), giving, course_gaps, requirements.path if requirements else None)


# --- output ----------------------------------------------------------------------------------------------------

THEME_TITLES = {"benefit_offered": "Erbjuds en förmån", "jav_in_own_role": "Jäv i den egna rollen",
                "reporting": "Rapportering"}


def as_json(report: CoverageReport) -> dict[str, Any]:
    tracks = []
    for track in report.tracks:
        tracks.append({
            "id": track.id, "title": track.title, "modules": list(track.modules),
            "has_requirements": track.has_requirements,
            "sections": [{"id": row.section.id, "title": row.section.title, "required": row.required,
                          "scenarios": list(row.scenarios), "questions": list(row.questions),
                          "taught": bool(row.scenarios), "tested": bool(row.questions),
                          "gap": row.not_taught or row.not_tested} for row in track.rows],
            "scenarios": {key: list(ids) for key, ids in track.themes.items()},
            "gaps": [gap.as_dict() for gap in track.gaps],
        })
    data: dict[str, Any] = {"requirements": report.requirements_path, "tracks": tracks}
    if report.giving_side is not None:
        data["course"] = {"giving_side": list(report.giving_side),
                          "gaps": [gap.as_dict() for gap in report.course_gaps]}
    data["gaps"] = len(report.gaps)
    return data


def as_table(report: CoverageReport, width: int = 44) -> str:
    """Per track: one line per rule section (a gap marked ✗, a requirement *), its scenarios and questions."""
    lines: list[str] = []
    for track in report.tracks:
        lines.append(f"Spår {track.id} – {track.title} (moduler: {', '.join(track.modules)})")
        lines.append(f"    {'§':<5} {'krav':<4} {'scen.':>5} {'frågor':>6}  {'avsnitt':<{width}}  scenarier")
        for row in track.rows:
            mark = "✗" if row.not_taught or row.not_tested else " "
            title = row.section.title if len(row.section.title) <= width else row.section.title[:width - 1] + "…"
            names = ", ".join(row.scenarios) or "–"
            lines.append(f"  {mark} {row.section.id:<5} {'*' if row.required else '':<4} {len(row.scenarios):>5} "
                         f"{len(row.questions):>6}  {title:<{width}}  {names}")
        for key, ids in track.themes.items():
            lines.append(f"  {THEME_TITLES[key]}: {', '.join(ids) or '–'}")
        if not track.has_requirements:
            lines.append("  (inga krav för spåret)")
        for gap in track.gaps:
            lines.append("  " + gap.problem.as_text().replace("\n", "\n  "))
        lines.append("")
    if report.giving_side is not None:
        lines.append(f"Kursen – givarsidan: {', '.join(report.giving_side) or '–'}")
        for gap in report.course_gaps:
            lines.append("  " + gap.problem.as_text().replace("\n", "\n  "))
        lines.append("")
    lines.append("✗ = en lucka i det som krävs, * = krävs för spåret. Scenarier som lär ut avsnittet, frågor som "
                 "prövar det.")
    return "\n".join(lines) + "\n"


__all__ = ["CoverageReport", "Gap", "SectionRow", "TrackCoverage", "as_json", "as_table", "coverage",
           "fakta_sections"]
