"""Load and validate the whole course: every file, every rule, every problem at once.

`load_course(root)` reads `modules/`, `scenarios/` and `quizzes/` under `root`, validates each file against
the schema and then the course as a whole (references, graph shape, citations, duplicate ids), and returns
either an immutable `Course` or the full list of problems, each with its file and line.
"""

from __future__ import annotations

import dataclasses

import difflib
import hashlib
import json
import os
import re
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from pydantic import ValidationError

from course import questions as question_types
from course.content import placeholders
from course.content.schema import (FOLDER_MODELS, FollowUp, GroupSessions, Module, Organisation, Question,
                                   QuestionBank, Scenario, Strict, TopicSet, Track, TrackSet)
from course.content.problems import (LEGAL_SOURCES_FILE, LegalSource, Problem,  # noqa: F401
                                     legal_sources, schema_problems, settings_path, shown_path)
from course.content.yamlload import LoadedYaml, load_yaml

WEAK_CERTAINTY = {"EV", "OSÄKERT"}


@dataclass(frozen=True)
class Origin:
    path: str
    line: int


@dataclass(frozen=True)
class Course:
    """Validated, immutable content. Mappings are read-only views; models are frozen."""

    modules: Mapping[str, Module]
    scenarios: Mapping[str, Scenario]
    banks: Mapping[str, QuestionBank]
    origins: Mapping[str, Origin]  # "module:id", "scenario:id", "quiz:id", "node:s/n", "choice:s/n/i", "question:id"
    versions: Mapping[str, str]  # module id -> content version (hash of the module with its scenarios and quiz)
    organisation: Organisation | None = None
    tracks: Mapping[str, Track] = field(default_factory=lambda: MappingProxyType({}))
    follow_up: FollowUp = field(default_factory=FollowUp)
    topic_titles: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # language -> topic -> name (topics.yaml, translations:); a topic without one is shown by its Swedish name
    topic_translations: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    group_sessions: GroupSessions = field(default_factory=GroupSessions)  # tracks.yaml: what they count for

    def module_version(self, module_id: str) -> str:
        return self.versions[module_id]

    @cached_property
    def questions(self) -> Mapping[str, Question]:
        """Every question of the course by id (ids are unique across banks)."""
        return MappingProxyType({q.id: q for bank in self.banks.values() for q in bank.questions})

    @cached_property
    def module_of_question(self) -> Mapping[str, str]:
        """Question id -> the original (Swedish) module whose bank, or whose translation's bank, holds it."""
        return MappingProxyType({q.id: module.translation_of or module.id for module in self.modules.values()
                                 for q in self.banks[module.quiz].questions})

    def base_of(self, module_id: str) -> str:
        """The Swedish original of a module (itself when it is one)."""
        return self.modules[module_id].translation_of or module_id

    def variant(self, module_id: str, language: str) -> Module:
        """The module in `language` where a translation exists, else the original."""
        for module in self.modules.values():
            if module.translation_of == module_id and module.language == language:
                return module
        return self.modules[module_id]

    def family(self, module_id: str) -> list[str]:
        """The original and its translations: the ids whose completions count for the original."""
        base = self.base_of(module_id)
        return [base] + [m.id for m in self.modules.values() if m.translation_of == base]

    def track_title(self, track_id: str, language: str = "sv") -> str:
        """A track's title in `language` where the track has one (config/tracks.yaml, translations:), else the
        Swedish one. The one place a page or a document asks for it."""
        track = self.tracks[track_id]
        translated = track.translations.get(language)
        return translated.title if translated else track.title

    def track_summary(self, track_id: str, language: str = "sv") -> str | None:
        track = self.tracks[track_id]
        translated = track.translations.get(language)
        return translated.summary if translated else track.summary  # lint holds a translation whole (E410)

    def module_title(self, module_id: str, language: str = "sv") -> str:
        """A module's title in `language` where a translation exists, else the original's (`module_id` may be
        either); an id the course no longer has is shown as it is (an old record)."""
        if module_id not in self.modules:
            return module_id
        return self.variant(self.base_of(module_id), language).title

    def organisation_text(self, key: str, language: str = "sv") -> str | None:
        """One of the municipality's settings by its placeholder name without "org." (e.g. "riktlinjer.titel"),
        in `language` where config/organisation.yaml translates it (oversattningar:), else as written."""
        if self.organisation is None:
            return None
        values = placeholders.in_language(placeholders.flatten(self.organisation), self.organisation, language)
        return values.get(f"org.{key}")

    def track_version(self, track_id: str) -> str:
        """A track's version: its modules' versions together (a diagnostic or booster draws from all of them)."""
        joined = ",".join(self.versions[m] for m in self.tracks[track_id].modules)
        return hashlib.sha256(joined.encode()).hexdigest()[:12]

    @cached_property
    def rules_version(self) -> str:
        """What status depends on besides the records: the tracks, the follow-up settings, material changes, and
        what a group session counts for (a record that starts a module, or not)."""
        material = {m.id: str(m.material_change) for m in self.modules.values() if m.material_change}
        # a track's translated title is no rule: changing it counts nothing again
        data = json.dumps([[t.model_dump(exclude={"translations"}) for t in self.tracks.values()],
                           self.follow_up.model_dump(), material, self.group_sessions.model_dump()],
                          sort_keys=True, default=str)
        return hashlib.sha256(data.encode()).hexdigest()[:16]

    def topic_title(self, topic: str, language: str = "sv") -> str:
        """A topic's display name in `language` (topics are slugs such as 'gavor-och-representation'): its
        translation in topics.yaml where there is one, else the Swedish name, else the slug made readable."""
        translated = self.topic_translations.get(language, {}).get(topic)
        return translated or self.topic_titles.get(topic) or topic.replace("-", " ").capitalize()

    def tracks_for(self, roles) -> list[Track]:
        return [track for track in self.tracks.values() if set(track.roles) & set(roles)]


@dataclass
class LoadResult:
    course: Course | None
    problems: list[Problem] = field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def load_course(root: Path | str, organisation_file: Path | str | None = None,
                tracks_file: Path | str | None = None) -> LoadResult:
    """Load the content under `root`, with the municipality's settings and tracks (default:
    `root/config/organisation.yaml` and `root/config/tracks.yaml` where they exist, else the project's)."""
    root = Path(root)
    organisation, _, _, problems = _load_settings(root, organisation_file, "organisation.yaml", Organisation)
    values = placeholders.flatten(organisation) if organisation else None
    track_set, tracks_yaml, tracks_path, track_problems = _load_settings(root, tracks_file, "tracks.yaml", TrackSet)
    problems += track_problems
    parsed: dict[str, list[tuple[Strict, LoadedYaml, str]]] = {kind: [] for kind in FOLDER_MODELS}
    files = 0
    for kind, model in FOLDER_MODELS.items():
        for path in sorted((root / kind).glob("*.y*ml")):
            files += 1
            relative = path.relative_to(root).as_posix()
            loaded = load_yaml(path)
            problems += [Problem(relative, p.line, p.code, p.message, p.hint) for p in loaded.problems]
            if loaded.data is None:
                continue
            if values is not None:
                problems += _check_placeholders(loaded, relative, values)
            if not isinstance(loaded.data, dict):
                problems.append(Problem(relative, 1, "E103", "Filen ska vara en mappning (nyckel: värde) överst.",
                                        "Börja filen med t.ex. 'id: ...' på första raden."))
                continue
            try:
                parsed[kind].append((model.model_validate(loaded.data), loaded, relative))
            except ValidationError as error:
                problems += schema_problems(error, loaded, relative, model)
    if files == 0:
        problems.append(Problem(root.as_posix(), 1, "E005", "Hittade inget innehåll.",
                                "Innehållet ska ligga i modules/, scenarios/ och quizzes/ under denna mapp."))

    problems += _check_ids(parsed)
    scenarios = _by_id(parsed["scenarios"])
    banks = _by_id(parsed["quizzes"])
    modules = _by_id(parsed["modules"])
    for scenario, loaded, path in scenarios.values():
        problems += _check_scenario(scenario, loaded, path)
    for bank, loaded, path in banks.values():
        problems += _check_bank(bank, loaded, path)
    for module, loaded, path in modules.values():
        problems += _check_module(module, loaded, path, scenarios, banks, modules)
    problems += _check_unused(scenarios, banks, modules)
    if track_set is not None:
        problems += _check_tracks(track_set, tracks_yaml, tracks_path, modules)
        problems += _check_group_sessions(track_set.group_sessions, tracks_yaml, tracks_path, modules)
        problems += _check_coverage_requirements(root, root / tracks_path, track_set, modules, scenarios)
    problems += _check_legal_sources()
    if organisation is not None:
        problems += _check_translated_prose(modules, scenarios, banks, organisation)
    topic_titles, topic_translations, topic_problems = _load_topic_titles(root, modules, scenarios, banks)
    problems += topic_problems
    problems.sort()
    if problems:
        return LoadResult(None, problems, files)
    course = _build_course(modules, scenarios, banks, organisation, values, track_set)
    translations = MappingProxyType({language: MappingProxyType(names)
                                     for language, names in topic_translations.items()})
    return LoadResult(dataclasses.replace(course, topic_titles=MappingProxyType(topic_titles),
                                          topic_translations=translations), [], files)


def _load_topic_titles(root: Path, modules, scenarios, banks) -> tuple[dict[str, str], dict[str, dict[str, str]],
                                                                         list[Problem]]:
    """topics.yaml (optional): a display name per topic slug; when it exists, every topic used needs one. Names
    in other languages (translations:) are optional, like a track's: without one the Swedish name is shown."""
    path = root / "topics.yaml"
    if not path.exists():
        return {}, {}, []
    loaded = load_yaml(path)
    problems = [Problem("topics.yaml", p.line, p.code, p.message, p.hint) for p in loaded.problems]
    try:
        topic_set = TopicSet.model_validate(loaded.data or {})
    except ValidationError as error:
        return {}, {}, problems + schema_problems(error, loaded, "topics.yaml", TopicSet)
    titles = dict(topic_set.topics)
    translations = {language: dict(names) for language, names in topic_set.translations.items()}
    for language, names in translations.items():
        for topic in names:
            if topic not in titles:  # a misspelt slug would otherwise never be shown, silently
                problems.append(Problem("topics.yaml", loaded.line_of(("translations", language, topic)), "E705",
                                        f"Översättningen ({language}) namnger ämnet '{topic}', som inte finns "
                                        "under topics:.",
                                        f"Rätta stavningen eller lägg till '{topic}: <namn>' under topics:."))
    used: list[tuple[str, str, LoadedYaml, tuple]] = []
    for module, module_yaml, module_path in modules.values():
        used += [(t, module_path, module_yaml, ("topics", i)) for i, t in enumerate(module.topics)]
    for scenario, scenario_yaml, scenario_path in scenarios.values():
        used += [(t, scenario_path, scenario_yaml, ("topics", i)) for i, t in enumerate(scenario.topics)]
    for bank, bank_yaml, bank_path in banks.values():
        used += [(q.topic, bank_path, bank_yaml, ("questions", i, "topic")) for i, q in enumerate(bank.questions)]
    for topic, used_path, used_yaml, loc in used:
        if topic not in titles:
            problems.append(Problem(used_path, used_yaml.line_of(loc), "E704",
                                    f"Ämnet '{topic}' har inget namn i topics.yaml.",
                                    f"Lägg till '{topic}: <namn som chefer och rapporter visar>' under topics: "
                                    "i topics.yaml."))
    return titles, translations, problems


def _by_id(items: list[tuple[Any, LoadedYaml, str]]) -> dict[str, tuple[Any, LoadedYaml, str]]:
    result: dict[str, tuple[Any, LoadedYaml, str]] = {}
    for item in items:
        result.setdefault(item[0].id, item)  # duplicates are reported by _check_ids
    return result


def _load_settings(root: Path, explicit, filename: str, model: type[Strict]) -> tuple[Any, LoadedYaml | None,
                                                                                    str, list[Problem]]:
    """A settings file (problems.settings_path says which), read and validated."""
    path = settings_path(root, explicit, filename)
    shown = shown_path(path, root)
    if not path.exists():
        return None, None, shown, [Problem(shown, 1, "E702", f"Inställningsfilen {filename} saknas.",
                                           f"Skapa config/{filename}; se projektets exempel.")]
    loaded = load_yaml(path)
    problems = [Problem(shown, p.line, p.code, p.message, p.hint) for p in loaded.problems]
    if loaded.data is None:
        return None, loaded, shown, problems
    try:
        return model.model_validate(loaded.data), loaded, shown, problems
    except ValidationError as error:
        return None, loaded, shown, problems + schema_problems(error, loaded, shown, model)


def _check_translated_prose(modules, scenarios, banks, organisation: Organisation) -> list[Problem]:
    """A translated module that uses one of the municipality's prose settings needs it in its language."""
    problems = []
    for module, module_yaml, module_path in modules.values():
        if module.language == "sv":
            continue
        translated = set(f"org.{key}" for key in organisation.oversattningar.get(module.language, {}))
        items = [(module_yaml, module_path)] + [scenarios[s][1:] for s in module.scenarios if s in scenarios]
        if module.quiz in banks:
            items.append(banks[module.quiz][1:])
        for loaded, path in items:
            for loc, name in placeholders.placeholders_in(loaded.data):
                if placeholders.is_prose(name) and name not in translated:
                    problems.append(Problem(path, loaded.line_of(loc), "E703",
                                            f"'{{{name}}}' saknar text på {module.language}.",
                                            f"Lägg till den under oversattningar: {module.language}: i "
                                            "config/organisation.yaml."))
    return problems


def _check_tracks(track_set: TrackSet, loaded: LoadedYaml, path: str, modules: dict) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for index, track in enumerate(track_set.tracks):
        if track.id in seen:
            problems.append(Problem(path, loaded.line_of(("tracks", index, "id")), "E501",
                                    f"Spåret '{track.id}' finns redan.", "Varje spår behöver ett eget id."))
        seen.add(track.id)
        for language, texts in track.translations.items():
            # like a translated module, a translated track is whole: a summary in Swedish only would be shown
            # in Swedish under an English title
            if track.summary and not texts.summary:
                problems.append(Problem(path, loaded.line_of(("tracks", index, "translations", language)), "E410",
                                        f"Spåret '{track.id}' har en sammanfattning (summary) men inte på {language}.",
                                        f"Lägg till 'summary:' under translations: {language}:, eller ta bort "
                                        "översättningen."))
        for position, module_id in enumerate(track.modules):
            if module_id in modules and modules[module_id][0].translation_of:
                problems.append(Problem(path, loaded.line_of(("tracks", index, "modules", position)), "E406",
                                        f"Spåret '{track.id}' ska nämna originalet, inte översättningen '{module_id}'.",
                                        f"Skriv '{modules[module_id][0].translation_of}'; språket väljer den som går kursen."))
            elif module_id not in modules:
                close = difflib.get_close_matches(module_id, list(modules), n=1)
                problems.append(Problem(path, loaded.line_of(("tracks", index, "modules", position)), "E403",
                                        f"Spåret '{track.id}' hänvisar till modulen '{module_id}', som inte finns.",
                                        f"Menade du '{close[0]}'?" if close else "Skapa modulen eller rätta id:t."))
    return problems


def _check_group_sessions(config: GroupSessions, loaded: LoadedYaml, path: str, modules: dict) -> list[Problem]:
    """group_sessions: modules: names original modules (a record of a group session keeps the original)."""
    problems = []
    for module_id in config.modules:
        line = loaded.line_of(("group_sessions", "modules", module_id))
        original = modules[module_id][0].translation_of if module_id in modules else None
        if original:
            problems.append(Problem(path, line, "E411", f"group_sessions nämner översättningen '{module_id}'.",
                                    f"Skriv originalets id '{original}'; det gäller alla språk."))
        elif module_id not in modules:
            close = difflib.get_close_matches(module_id, list(modules), n=1)
            problems.append(Problem(path, line, "E411",
                                    f"group_sessions nämner modulen '{module_id}', som inte finns.",
                                    f"Menade du '{close[0]}'?" if close else "Rätta id:t eller ta bort raden."))
    return problems


def _check_coverage_requirements(root: Path, tracks_file: Path, track_set: TrackSet, modules: dict,
                                 scenarios: dict) -> list[Problem]:
    """config/coverage.yaml beside tracks.yaml, where it exists: its tracks, sections and scenarios (E801-E809)."""
    from course.content import coverage_config

    path = coverage_config.requirements_file(root, tracks_file)
    _, problems = coverage_config.load_requirements(
        path, shown_path(path, root), track_set.tracks, {k: v[0] for k, v in modules.items()},
        {k: v[0] for k, v in scenarios.items()})
    return problems


def _check_legal_sources() -> list[Problem]:
    """Every legal source names a section of the fact sheet (E807)."""
    from course.content import coverage_config

    return coverage_config.check_legal_sources(LEGAL_SOURCES_FILE, "course/content/legal_sources.yaml")


def _check_placeholders(loaded: LoadedYaml, path: str, values: dict[str, str]) -> list[Problem]:
    problems = []
    for loc, name in placeholders.placeholders_in(loaded.data):
        if name in values:
            continue
        close = difflib.get_close_matches(name, list(values), n=1, cutoff=0.6)
        problems.append(Problem(path, loaded.line_of(loc), "E701", f"Okänd platshållare '{{{name}}}'.",
                                f"Menade du '{{{close[0]}}}'?" if close else
                                "Platshållare hämtar värden ur config/organisation.yaml, t.ex. {org.namn}."))
    return problems


def _build_course(modules, scenarios, banks, organisation=None, values=None, track_set=None) -> Course:
    origins: dict[str, Origin] = {}
    for kind, items in (("module", modules), ("scenario", scenarios), ("quiz", banks)):
        for item_id, (_, loaded, path) in items.items():
            origins[f"{kind}:{item_id}"] = Origin(path, loaded.line_of(()))
    for scenario_id, (scenario, loaded, path) in scenarios.items():
        for node_id, node in scenario.nodes.items():
            origins[f"node:{scenario_id}/{node_id}"] = Origin(path, loaded.line_of(("nodes", node_id)))
            for index in range(len(node.choices)):
                origins[f"choice:{scenario_id}/{node_id}/{index}"] = Origin(
                    path, loaded.line_of(("nodes", node_id, "choices", index)))
    for bank_id, (bank, loaded, path) in banks.items():
        for index, question in enumerate(bank.questions):
            origins[f"question:{question.id}"] = Origin(path, loaded.line_of(("questions", index)))
    versions = {}
    for module_id, (module, _, _) in modules.items():
        material = {
            "module": module.model_dump(mode="json"),
            "scenarios": [scenarios[s][0].model_dump(mode="json") for s in module.scenarios],
            "quiz": banks[module.quiz][0].model_dump(mode="json"),
        }
        canonical = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        versions[module_id] = hashlib.sha256(canonical.encode()).hexdigest()[:12]
    # The version is taken before the municipality's values are filled in: a new phone number for the
    # whistleblowing channel is not a change of the course that should send people back to it. A translated
    # module's texts get the municipality's prose in that language.
    language_of: dict[str, str] = {}
    for module, _, _ in modules.values():
        for item_id in [module.id, module.quiz, *module.scenarios]:
            language_of[item_id] = module.language

    def in_language(language: str) -> dict[str, str]:
        return placeholders.in_language(values or {}, organisation, language) if organisation else values or {}

    def filled(model):
        data = placeholders.render(model.model_dump(mode="json"), in_language(language_of.get(model.id, "sv")))
        if isinstance(model, Track):  # a track's translations get the municipality's prose in their language
            data["translations"] = {language: placeholders.render(texts.model_dump(mode="json"),
                                                                  in_language(language))
                                    for language, texts in model.translations.items()}
        return type(model).model_validate(data)

    return Course(
        modules=MappingProxyType({k: filled(v[0]) for k, v in modules.items()}),
        scenarios=MappingProxyType({k: filled(v[0]) for k, v in scenarios.items()}),
        banks=MappingProxyType({k: filled(v[0]) for k, v in banks.items()}),
        origins=MappingProxyType(origins),
        versions=MappingProxyType(versions),
        organisation=organisation,
        tracks=MappingProxyType({track.id: filled(track) for track in track_set.tracks} if track_set else {}),
        follow_up=track_set.follow_up if track_set else FollowUp(),
        group_sessions=track_set.group_sessions if track_set else GroupSessions(),
    )


# --- schema errors -> problems -------------------------------------------------------------------------------



def _check_ids(parsed: dict[str, list[tuple[Any, LoadedYaml, str]]]) -> list[Problem]:
    problems = []
    for kind, items in parsed.items():
        first: dict[str, tuple[str, int]] = {}
        for item, loaded, path in items:
            line = loaded.line_of(("id",))
            if item.id in first:
                other_path, other_line = first[item.id]
                problems.append(Problem(path, line, "E501", f"Id '{item.id}' används redan i {other_path}:{other_line}.",
                                        "Varje modul, scenario och frågebank behöver ett eget id."))
            else:
                first[item.id] = (path, line)
        if kind == "quizzes":
            question_first: dict[str, tuple[str, int]] = {}
            text_first: dict[tuple[str, str], tuple[str, int]] = {}  # (language, text): a translation may match
            language_of_bank = {module.quiz: module.language for module, _, _ in parsed["modules"]}
            for bank, loaded, path in items:
                for index, question in enumerate(bank.questions):
                    line = loaded.line_of(("questions", index, "id"))
                    if question.id in question_first:
                        other_path, other_line = question_first[question.id]
                        problems.append(Problem(path, line, "E501",
                                                f"Fråge-id '{question.id}' används redan i {other_path}:{other_line}.",
                                                "Fråge-id måste vara unika i hela kursen (statistik per fråga)."))
                    else:
                        question_first[question.id] = (path, line)
                    text = (language_of_bank.get(bank.id, "sv"), " ".join(question.text.split()))
                    if text in text_first:
                        other_path, other_line = text_first[text]
                        problems.append(Problem(path, loaded.line_of(("questions", index, "text")), "E502",
                                                f"Frågan '{question.id}' har samma text som {other_path}:{other_line}.",
                                                "Skriv om den ena, så att statistiken per fråga och repetitionen "
                                                "inte blandar ihop dem."))
                    else:
                        text_first[text] = (path, loaded.line_of(("questions", index, "text")))
    return problems


def _check_citations(cites: list[str], loaded: LoadedYaml, path: str, loc: tuple) -> list[Problem]:
    known = legal_sources()
    problems = []
    for index, cite in enumerate(cites):
        if cite in known:
            continue
        close = difflib.get_close_matches(cite, list(known), n=1, cutoff=0.75)
        hint = (f"Menade du '{close[0]}'?" if close else
                "Endast lagrum och rättsfall i course/content/legal_sources.yaml (hämtade ur fakta.md) får citeras.")
        problems.append(Problem(path, loaded.line_of(loc + (index,)), "E601", f"Okänd källa '{cite}'.", hint))
    return problems


def _check_scenario(scenario: Scenario, loaded: LoadedYaml, path: str) -> list[Problem]:
    problems = []
    nodes = scenario.nodes
    if scenario.start not in nodes:
        problems.append(Problem(path, loaded.line_of(("start",)), "E204",
                                f"Startnoden '{scenario.start}' finns inte.",
                                f"Noder i filen: {', '.join(nodes)}."))
    edges: dict[str, list[str]] = {}
    for node_id, node in nodes.items():
        edges[node_id] = []
        if not node.is_ending and len(node.choices) < 2:
            # One way on is no decision, and at the start it is the dilemma itself that is missing (issue 12).
            problems.append(Problem(path, loaded.line_of(("nodes", node_id)), "E205",
                                    f"Noden '{node_id}' har {len(node.choices)} val; ett beslut kräver minst två.",
                                    "Lägg till ett alternativ som en rimlig kollega kunde välja, med återkoppling "
                                    "och källor, eller gör noden till ett slut (ending:)."))
        for index, choice in enumerate(node.choices):
            loc = ("nodes", node_id, "choices", index)
            problems += _check_citations(choice.cite, loaded, path, loc + ("cite",))
            if choice.next not in nodes:
                close = difflib.get_close_matches(choice.next, list(nodes), n=1)
                hint = f"Menade du '{close[0]}'?" if close else f"Noder i filen: {', '.join(nodes)}."
                problems.append(Problem(path, loaded.line_of(loc + ("next",)), "E201",
                                        f"Valet pekar på noden '{choice.next}', som inte finns.", hint))
            else:
                edges[node_id].append(choice.next)
    if scenario.start in nodes:
        reachable = _reachable(scenario.start, edges)
        for node_id in nodes:
            if node_id not in reachable:
                problems.append(Problem(path, loaded.line_of(("nodes", node_id)), "E202",
                                        f"Noden '{node_id}' kan inte nås från start.",
                                        "Låt något val peka hit (next:), eller ta bort noden."))
    reverse: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for source, targets in edges.items():
        for target in targets:
            reverse[target].append(source)
    can_finish = _reachable_many([n for n, node in nodes.items() if node.is_ending], reverse)
    if scenario.start in nodes:
        problems += _check_giveaway(scenario, edges, loaded, path)
    for node_id in nodes:
        if node_id not in can_finish:
            problems.append(Problem(path, loaded.line_of(("nodes", node_id)), "E203",
                                    f"Från noden '{node_id}' går det inte att nå något slut.",
                                    "Någon väg härifrån måste leda till en nod med 'ending:'."))
    return problems


GIVEAWAY_LENGTH = 1.4  # the one good choice at the start this many times as long as every other gives it away
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def _shown_length(text: str) -> int:
    """About as long as the text is on screen: a placeholder ({org.namn}) stands for a name of ~12 characters."""
    return len(_PLACEHOLDER.sub("x" * 12, " ".join(text.split())))


def _check_giveaway(scenario: Scenario, edges: dict[str, list[str]], loaded: LoadedYaml,
                    path: str) -> list[Problem]:
    """The first decision must not give its answer away by length (issue 12): when only one choice can still
    lead to the scenario's best ending, it may not be much longer than the longest of the others."""
    nodes = scenario.nodes
    start = nodes[scenario.start]
    outcomes = [node.ending for node in nodes.values() if node.is_ending]
    best = next((outcome for outcome in ("bra", "delvis", "svag") if outcome in outcomes), None)
    if best is None or len(start.choices) < 2:
        return []
    good = [index for index, choice in enumerate(start.choices)
            if choice.next in nodes and any(nodes[n].ending == best for n in _reachable(choice.next, edges))]
    if len(good) != 1:
        return []
    lengths = [_shown_length(choice.text) for choice in start.choices]
    longest_other = max(length for index, length in enumerate(lengths) if index != good[0])
    if lengths[good[0]] <= GIVEAWAY_LENGTH * longest_other:
        return []
    return [Problem(path, loaded.line_of(("nodes", scenario.start, "choices", good[0], "text")), "E206",
                    f"Det enda val i första beslutet som kan leda till ett {best}-slut är "
                    f"{lengths[good[0]] / longest_other:.1f} gånger så långt som de andra; längden avslöjar svaret.",
                    "Korta det, eller ge ett annat alternativ ett skäl som en rimlig kollega kunde ha, "
                    f"så att det bästa valet är högst {GIVEAWAY_LENGTH:g} gånger så långt.")]


def _reachable(start: str, edges: dict[str, list[str]]) -> set[str]:
    return _reachable_many([start], edges)


def _reachable_many(starts: list[str], edges: dict[str, list[str]]) -> set[str]:
    seen, queue = set(starts), deque(starts)
    while queue:
        for target in edges.get(queue.popleft(), []):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _check_bank(bank: QuestionBank, loaded: LoadedYaml, path: str) -> list[Problem]:
    problems = []
    known = legal_sources()
    if bank.draw > len(bank.questions):
        problems.append(Problem(path, loaded.line_of(("draw",)), "E303",
                                f"draw är {bank.draw} men banken har bara {len(bank.questions)} frågor.",
                                "Sänk draw eller skriv fler frågor."))
    for index, question in enumerate(bank.questions):
        loc = ("questions", index)
        problems += _check_citations(question.cite, loaded, path, loc + ("cite",))
        kind = question_types.KINDS.get(question.type)
        if kind is None:
            close = difflib.get_close_matches(question.type, list(question_types.KINDS), n=1)
            problems.append(Problem(path, loaded.line_of(loc + ("type",)), "E305",
                                    f"Frågan '{question.id}' har den okända typen '{question.type}'.",
                                    f"Menade du '{close[0]}'?" if close else
                                    f"Typer som finns: {', '.join(question_types.KINDS)}."))
        else:
            problems += [Problem(path, loaded.line_of(loc + found.where), found.code, found.message, found.hint)
                         for found in kind.problems(question)]
        cited = [known[c] for c in question.cite if c in known]
        if cited and all(source.certainty in WEAK_CERTAINTY for source in cited):
            problems.append(Problem(path, loaded.line_of(loc + ("cite",)), "E602",
                                    f"Frågan '{question.id}' bygger bara på källor som fakta.md märker EV/OSÄKERT.",
                                    "Sådana påståenden får aldrig vara rätt svar i en quizfråga; välj en verifierad källa."))
    return problems


def _check_unused(scenarios: dict, banks: dict, modules: dict) -> list[Problem]:
    """A scenario or bank that no module names is never played: usually a module file that forgot it."""
    used_scenarios = {s for module, _, _ in modules.values() for s in module.scenarios}
    used_banks = {module.quiz for module, _, _ in modules.values()}
    problems = []
    for kind, found, used in (("Scenariot", scenarios, used_scenarios), ("Frågebanken", banks, used_banks)):
        for item_id, (_, loaded, path) in found.items():
            if item_id not in used:
                problems.append(Problem(path, loaded.line_of(("id",)), "E409",
                                        f"{kind} '{item_id}' ingår inte i någon modul och visas aldrig.",
                                        "Lägg till id:t i en moduls scenarios: eller quiz:, eller ta bort filen."))
    return problems


def _check_module(module: Module, loaded: LoadedYaml, path: str, scenarios: dict, banks: dict,
                  modules: dict) -> list[Problem]:
    problems = []
    for index, point in enumerate(module.key_points):
        problems += _check_citations(point.cite, loaded, path, ("key_points", index, "cite"))
    for index, scenario_id in enumerate(module.scenarios):
        if scenario_id not in scenarios:
            close = difflib.get_close_matches(scenario_id, list(scenarios), n=1)
            problems.append(Problem(path, loaded.line_of(("scenarios", index)), "E401",
                                    f"Modulen hänvisar till scenariot '{scenario_id}', som inte finns.",
                                    f"Menade du '{close[0]}'?" if close else "Skapa filen under scenarios/ eller rätta id:t."))
    if module.translation_of is not None:
        original = modules.get(module.translation_of)
        line = loaded.line_of(("translation_of",))
        if original is None or original[0].translation_of is not None:
            problems.append(Problem(path, line, "E404", f"'{module.translation_of}' är ingen modul att översätta.",
                                    "translation_of ska peka på den svenska modulens id."))
        elif set(module.scenarios) & set(original[0].scenarios) or module.quiz == original[0].quiz:
            problems.append(Problem(path, loaded.line_of(("scenarios",)), "E408",
                                    "En översättning ska ha egna scenarier och en egen frågebank.",
                                    "Översätt scenarierna och frågorna till egna filer med egna id:n."))
        elif set(original[0].topics) != set(module.topics):
            problems.append(Problem(path, loaded.line_of(("topics",)), "E405",
                                    "En översättning ska ha samma ämnen (topics) som originalet.",
                                    f"Originalet har: {', '.join(original[0].topics)}."))
        if module.language == "sv":
            problems.append(Problem(path, line, "E407", "En översättning behöver ett annat språk än svenska.",
                                    "Lägg till t.ex. 'language: en'."))
    if module.quiz not in banks:
        close = difflib.get_close_matches(module.quiz, list(banks), n=1)
        problems.append(Problem(path, loaded.line_of(("quiz",)), "E402",
                                f"Modulen hänvisar till frågebanken '{module.quiz}', som inte finns.",
                                f"Menade du '{close[0]}'?" if close else "Skapa filen under quizzes/ eller rätta id:t."))
    return problems


_PROJECT_ROOT = Path(__file__).resolve().parents[2]  # resolved once: the app asks on every run


def default_content_root() -> Path:
    """COURSE_CONTENT_ROOT, or the project folder that holds modules/, scenarios/ and quizzes/."""
    return Path(os.environ.get("COURSE_CONTENT_ROOT") or _PROJECT_ROOT)
