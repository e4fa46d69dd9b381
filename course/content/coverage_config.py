"""The fact sheet's sections and the coverage requirements (config/coverage.yaml), and their lint checks.

`fakta_sections()` reads fakta_sections.yaml (the fact sheet's headings, kept beside legal_sources.yaml so that
nothing needs ../shared/fakta.md at run time). `check_legal_sources()` says which `fakta:` values of
legal_sources.yaml name no section (E807). `load_requirements()` reads config/coverage.yaml and checks it
against the tracks, the modules and the scenarios (E801–E809); the loader runs it for lint, and
`course.coverage` uses what it returns. Gaps in the content itself are not lint problems: `python -m course
coverage` reports them (W811–W816).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Mapping, Sequence

import yaml
from pydantic import Field, StringConstraints, ValidationError

from course.content.problems import Problem, legal_sources, schema_problems, settings_path
from course.content.schema import Module, Scenario, Slug, Strict, Track
from course.content.yamlload import LoadedYaml, load_yaml

FAKTA_SECTIONS_FILE = Path(__file__).with_name("fakta_sections.yaml")
REQUIREMENTS_FILENAME = "coverage.yaml"


# --- the fact sheet's sections ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FaktaSection:
    id: str  # "1.1", or "6" for a chapter without subsections
    title: str
    chapter: str  # "1"
    rule: bool  # one of the rule chapters §1–§9


@cache
def fakta_sections() -> Mapping[str, FaktaSection]:
    """Every section of the fact sheet at the granularity of its subsections, in the fact sheet's order."""
    data = yaml.safe_load(FAKTA_SECTIONS_FILE.read_text(encoding="utf-8"))
    sections: dict[str, FaktaSection] = {}
    for chapter in data["chapters"]:
        for entry in chapter.get("sections") or [chapter]:
            sections[entry["id"]] = FaktaSection(entry["id"], entry["title"], chapter["id"], chapter["rule"])
    return MappingProxyType(sections)


@cache
def fakta_chapters() -> Mapping[str, str]:
    """Chapter number -> its title."""
    data = yaml.safe_load(FAKTA_SECTIONS_FILE.read_text(encoding="utf-8"))
    return MappingProxyType({chapter["id"]: chapter["title"] for chapter in data["chapters"]})


def rule_sections() -> list[FaktaSection]:
    """The sections of §1–§9, the rules that coverage sets against the content."""
    return [section for section in fakta_sections().values() if section.rule]


def check_legal_sources(path: Path, shown: str) -> list:
    """Every `fakta:` of the legal sources names a section of fakta_sections.yaml (a subsection where the
    chapter has them)."""
    loaded = load_yaml(path)
    problems = []
    known = fakta_sections()
    for index, entry in enumerate((loaded.data or {}).get("sources") or []):
        value = entry.get("fakta") if isinstance(entry, dict) else None
        if isinstance(value, str) and value in known:
            continue
        chapter = str(value).split(".")[0]
        subsections = [s for s in known.values() if s.chapter == chapter and s.id != chapter]
        hint = (f"Ange underavsnittet: {', '.join(s.id for s in subsections)}." if str(value) == chapter and subsections
                else "Avsnitten står i course/content/fakta_sections.yaml (rubrikerna i fakta.md); skriv numret "
                     "inom citattecken, t.ex. \"2.1\".")
        problems.append(Problem(shown, loaded.line_of(("sources", index, "fakta")), "E807",
                                f"Källan '{entry.get('cite') if isinstance(entry, dict) else entry}' hänvisar till "
                                f"fakta-avsnittet '{value}', som inte finns.", hint))
    return problems


# --- config/coverage.yaml --------------------------------------------------------------------------------------

SectionId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class TrackRequirements(Strict):
    """What a track's learners must act on, and the scenarios that show its own audience in three situations."""

    sections: list[SectionId] = Field(default_factory=list, description="rule sections to teach and test")
    benefit_offered: list[Slug] = Field(default_factory=list, description="the track's audience is offered a benefit")
    jav_in_own_role: list[Slug] = Field(default_factory=list, description="jäv as it arises in the track's role")
    reporting: list[Slug] = Field(default_factory=list, description="reporting a suspicion")


class CoverageConfig(Strict):
    tracks: dict[Slug, TrackRequirements] = Field(min_length=1)
    giving_side: list[Slug] = Field(default_factory=list, description="the municipality's staff offer something to "
                                                                      "someone who decides over them")


# The scenario lists and the rule a scenario on each list must cite (a section id, or a chapter: any of its).
THEMES: dict[str, tuple[str, str]] = {
    "benefit_offered": ("1.1", "erbjuds en förmån"),
    "jav_in_own_role": ("2|3", "jäv i den egna rollen"),
    "reporting": ("7", "rapportering"),
}
GIVING_SIDE = ("1.2", "givarsidan")


def cites_theme(sections_cited: set[str], wanted: str) -> bool:
    """`wanted` is a section ("1.1") or chapters ("7", "2|3"): does a cited section fall under it?"""
    return any(section == option or section.split(".")[0] == option
               for option in wanted.split("|") for section in sections_cited)


def scenario_sections(scenario: Scenario, sources) -> set[str]:
    """The fact sheet's sections that a scenario's choices cite."""
    return {sources[cite].fakta for node in scenario.nodes.values() for choice in node.choices
            for cite in choice.cite if cite in sources}


@dataclass(frozen=True)
class Requirements:
    config: CoverageConfig
    path: str  # as shown in problems: relative to the content root where it lies under it
    loaded: LoadedYaml

    def line_of(self, *loc) -> int:
        return self.loaded.line_of(tuple(loc))


def requirements_file(root: Path, tracks_file: Path | None = None) -> Path:
    """config/coverage.yaml beside the tracks.yaml the course is loaded with."""
    return settings_path(root, tracks_file, "tracks.yaml").parent / REQUIREMENTS_FILENAME


def load_requirements(path: Path, shown: str, tracks: Sequence[Track], modules: Mapping[str, Module],
                      scenarios: Mapping[str, Scenario]) -> tuple[Requirements | None, list]:
    """Read and check config/coverage.yaml. Returns (None, []) when there is no such file: coverage is then
    reported without requirements."""
    if not Path(path).exists():
        return None, []
    loaded = load_yaml(Path(path))
    problems = [Problem(shown, p.line, p.code, p.message, p.hint) for p in loaded.problems]
    if loaded.data is None:
        return None, problems
    problems += _unquoted_sections(loaded, shown)
    if problems:
        return None, problems
    try:
        config = CoverageConfig.model_validate(loaded.data)
    except ValidationError as error:
        return None, problems + schema_problems(error, loaded, shown, CoverageConfig)
    requirements = Requirements(config, shown, loaded)
    sources = legal_sources()
    cited = {source.fakta for source in sources.values()}
    known = fakta_sections()
    by_id = {track.id: track for track in tracks}

    def problem(loc: tuple, code: str, message: str, hint: str) -> None:
        problems.append(Problem(shown, requirements.line_of(*loc), code, message, hint))

    def check_scenarios(loc: tuple, ids: list[str], theme: tuple[str, str], track: Track | None) -> None:
        wanted, name = theme
        allowed = ({s for m in track.modules if m in modules for s in modules[m].scenarios} if track
                   else set(scenarios))
        seen: set[str] = set()
        for index, scenario_id in enumerate(ids):
            where = loc + (index,)
            if scenario_id in seen:
                problem(where, "E809", f"Scenariot '{scenario_id}' står två gånger i listan.", "Ta bort det ena.")
                continue
            seen.add(scenario_id)
            if scenario_id not in scenarios:
                close = difflib.get_close_matches(scenario_id, list(scenarios), n=1)
                problem(where, "E803", f"Scenariot '{scenario_id}' finns inte.",
                        f"Menade du '{close[0]}'?" if close else "Rätta id:t (filnamnet under scenarios/).")
            elif scenario_id not in allowed:
                problem(where, "E804", f"Scenariot '{scenario_id}' ingår inte i någon av spåret "
                                       f"'{track.id}':s moduler.",
                        f"Spåret har modulerna {', '.join(track.modules)}; välj ett scenario ur dem, eller lägg "
                        "till modulen i spåret i config/tracks.yaml.")
            elif not cites_theme(scenario_sections(scenarios[scenario_id], sources), wanted):
                label = f"§{wanted.replace('|', ' eller §')}"
                problem(where, "E805", f"Scenariot '{scenario_id}' står under {name} men hänvisar inte till "
                                       f"{label} i fakta.md.",
                        "Ett scenario i listan ska bygga på den regel listan gäller: flytta det till rätt lista, "
                        "eller låt dess återkoppling citera regeln.")

    for track_id, wanted in config.tracks.items():
        track = by_id.get(track_id)
        if track is None:
            close = difflib.get_close_matches(track_id, list(by_id), n=1)
            problem(("tracks", track_id), "E801", f"Spåret '{track_id}' finns inte i config/tracks.yaml.",
                    f"Menade du '{close[0]}'?" if close else f"Spåren är: {', '.join(by_id)}.")
            continue
        seen_sections: set[str] = set()
        for index, section_id in enumerate(wanted.sections):
            loc = ("tracks", track_id, "sections", index)
            section = known.get(section_id)
            if section_id in seen_sections:
                problem(loc, "E809", f"Avsnittet {section_id} står två gånger i listan.", "Ta bort det ena.")
            elif section is None or not section.rule:
                subsections = [s.id for s in known.values() if s.chapter == section_id and s.id != section_id]
                close = difflib.get_close_matches(section_id, [s.id for s in rule_sections()], n=1)
                hint = (f"Ange underavsnitten: {', '.join(subsections)}." if subsections else
                        f"Menade du '{close[0]}'?" if close and section is None else
                        "Bara regelavsnitten §1–§9 i fakta.md (course/content/fakta_sections.yaml) kan krävas.")
                problem(loc, "E802", f"'{section_id}' är inget regelavsnitt i fakta.md.", hint)
            elif section_id not in cited:
                problem(loc, "E806", f"Ingen källa i legal_sources.yaml hör till avsnitt {section_id} "
                                     f"({section.title}), så inget scenario kan citera det.",
                        "Lägg först till lagrummet i course/content/legal_sources.yaml (om fakta.md har det), "
                        "eller kräv ett avsnitt som går att citera.")
            seen_sections.add(section_id)
        for key, theme in THEMES.items():
            check_scenarios(("tracks", track_id, key), getattr(wanted, key), theme, track)
    check_scenarios(("giving_side",), config.giving_side, GIVING_SIDE, None)
    for track in tracks:
        if track.id not in config.tracks:
            problem(("tracks",), "E808", f"Spåret '{track.id}' har inga krav i {shown}.",
                    f"Lägg till '{track.id}:' under tracks: med de avsnitt och scenarier spåret ska täcka, "
                    "så att spåret inte faller ur täckningskontrollen.")
    return requirements, problems


def _unquoted_sections(loaded: LoadedYaml, shown: str) -> list:
    """A section written as a number (1.1 rather than "1.1") is read as one: 1.10 would become 1.1."""
    problems = []
    tracks = loaded.data.get("tracks") if isinstance(loaded.data, dict) else None
    for track_id, wanted in (tracks or {}).items() if isinstance(tracks, dict) else []:
        sections = wanted.get("sections") if isinstance(wanted, dict) else None
        for index, value in enumerate(sections if isinstance(sections, list) else []):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                problems.append(Problem(shown, loaded.line_of(("tracks", track_id, "sections", index)), "E802",
                                        f"Avsnittet {value} ska stå inom citattecken.",
                                        f"Skriv \"{value}\"; utan citattecken läses det som ett tal."))
    return problems
