"""The content schema: what a module, a scenario and a question bank are.

Pydantic v2 models, strict about unknown keys (a typo must not silently drop content), frozen (a loaded
course never changes under a running app). Cross-file rules (does `next` point to a node, is a citation
known) live in `loader.py`, where every file is at hand and every value knows its line.
"""

from __future__ import annotations

from datetime import date

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Citation = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
TypeName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*$", max_length=40)]

Role = Literal["medarbetare", "chef", "fortroendevald", "upphandlare", "myndighetsutovare"]
Outcome = Literal["bra", "delvis", "svag"]

DEFAULT_PASS_MARK = 80


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(Strict):
    text: Text
    next: str
    feedback: Text
    cite: list[Citation] = Field(min_length=1)


class Node(Strict):
    """A situation: either a choice point (choices) or an ending (ending says how well the learner did)."""

    text: Text
    choices: list[Choice] = Field(default_factory=list)
    ending: Outcome | None = None

    @model_validator(mode="after")
    def _choices_or_ending(self) -> "Node":
        if self.ending is None and not self.choices:
            raise ValueError("en nod behöver antingen 'choices' eller 'ending'")
        if self.ending is not None and self.choices:
            raise ValueError("en nod kan inte ha både 'choices' och 'ending'")
        return self

    @property
    def is_ending(self) -> bool:
        return self.ending is not None


class Scenario(Strict):
    id: Slug
    title: Text
    summary: Text | None = None
    topics: list[Slug] = Field(min_length=1)
    start: str
    nodes: dict[str, Node] = Field(min_length=2)


class Option(Strict):
    text: Text
    correct: bool = False
    explanation: Text


class Question(Strict):
    """`type` names a class of course/questions.py (single, multiple, true_false, ordering); the loader rejects
    any other (E305). For `ordering` the options are the steps, written in their right order."""

    id: Slug
    type: TypeName
    topic: Slug
    text: Text
    cite: list[Citation] = Field(min_length=1)
    options: list[Option] = Field(min_length=2)

    @property
    def correct_indexes(self) -> frozenset[int]:
        return frozenset(i for i, option in enumerate(self.options) if option.correct)


class QuestionBank(Strict):
    id: Slug
    title: Text
    draw: int = Field(ge=1, description="how many questions one attempt draws")
    confidence: bool = Field(default=False, description="ask how sure the learner is (certainty-based marking)")
    questions: list[Question] = Field(min_length=1)


class KeyPoint(Strict):
    text: Text
    cite: list[Citation] = Field(min_length=1)


class Module(Strict):
    id: Slug
    title: Text
    summary: Text
    audience: list[Role] = Field(min_length=1)
    topics: list[Slug] = Field(min_length=1)
    scenarios: list[Slug] = Field(min_length=1)
    quiz: Slug
    pass_mark: int = Field(default=DEFAULT_PASS_MARK, ge=1, le=100, description="percent")
    estimated_minutes: int = Field(ge=1, le=120)
    key_points: list[KeyPoint] = Field(min_length=3, max_length=10, description="the printable summary")
    language: Literal["sv", "en"] = "sv"
    translation_of: Slug | None = Field(default=None, description="the Swedish module this one translates")
    material_change: date | None = Field(
        default=None, description="the day a change took effect that those who took the earlier version must "
                                  "learn: their completion then falls due (see follow_up.material_change_days)")


class TrackTexts(Strict):
    """A track's title and summary in another language (a translated module is a file of its own; a track is two
    lines, so its translations sit beside it)."""

    title: Text
    summary: Text | None = None


class Track(Strict):
    """A list of modules that everyone with one of `roles` must take, and when."""

    id: Slug
    title: Text
    summary: Text | None = None
    # The same texts in other languages: {"en": {"title": ..., "summary": ...}}. Without, the Swedish are shown.
    translations: dict[Literal["en"], TrackTexts] = Field(default_factory=dict)
    roles: list[Role] = Field(min_length=1)
    modules: list[Slug] = Field(min_length=1)
    onboarding_days: int | None = Field(default=None, ge=1, description="first round due this long after start")
    recurrence_months: int | None = Field(default=None, ge=1, description="due again this long after completion")
    attestation: bool = Field(default=True, description="end with confirming the municipality's guidelines")


class FollowUp(Strict):
    """When things fall due and when people are reminded: the municipality's policy, with defaults."""

    onboarding_days: int = Field(default=30, ge=1, description="first round due, when a track sets none")
    material_change_days: int = Field(default=60, ge=0, description="a module changed materially is due again "
                                                                     "this long after the change, for those who "
                                                                     "took the earlier version")
    booster_opens_days: int = Field(default=21, ge=1, description="after a track's first round")
    booster_due_days: int = Field(default=35, ge=1)
    due_soon_days: int = Field(default=14, ge=1, description="remind this long before the due date")
    reminder_interval_days: int = Field(default=7, ge=1, description="the same reminder at most once per interval")


class TopicSet(Strict):
    """topics.yaml: the display name of each topic slug, and the same names in other languages."""

    topics: dict[Slug, Text] = Field(min_length=1)
    # {"en": {"jav-anmalan": "Declaring a conflict of interest", ...}}; a topic left out is shown in Swedish
    translations: dict[Literal["en"], dict[Slug, Text]] = Field(default_factory=dict)


class GroupSessions(Strict):
    """config/tracks.yaml, group_sessions: what a group session at the workplace meeting counts for, for those
    the facilitator confirms took part (course.group.counts_for). `scenario_part`: the module's scenario part
    (the individual quiz is still needed for completion); `nothing`: a record of its own, counting for nothing."""

    counts_for: Literal["scenario_part", "nothing"] = "scenario_part"
    # per module (the original's id), where it differs: {"chefens-ansvar": "nothing"}
    modules: dict[Slug, Literal["scenario_part", "nothing"]] = Field(default_factory=dict)


class TrackSet(Strict):
    tracks: list[Track] = Field(min_length=1)
    follow_up: FollowUp = Field(default_factory=FollowUp)
    group_sessions: GroupSessions = Field(default_factory=GroupSessions)


class Guidelines(Strict):
    titel: Text
    lank: Text
    version: Text
    antagen_av: Text | None = None


class Whistleblowing(Strict):
    e_tjanst: Text
    epost: Text
    postadress: Text
    telefon: Text
    anonymt: Text  # how the channel takes anonymous reports: the law's sources disagree (fakta 7.4)


class GiftRule(Strict):
    text: Text
    max_belopp: Text | None = None
    nolltolerans: Text  # where nothing at all may be accepted, e.g. "myndighetsutövning och upphandling"


class Contact(Strict):
    roll: Text
    namn: Text
    epost: Text
    telefon: Text | None = None


class DataProtectionOfficer(Strict):
    namn: Text | None = None
    epost: Text
    telefon: Text | None = None


class DataProtection(Strict):
    """The municipality's own words about personal data (GDPR art. 13), shown on the page "Om dina uppgifter".
    The nämnd that is personuppgiftsansvarig decides the legal basis and the retention; the product only shows
    what it is given here."""

    personuppgiftsansvarig: Text | None = None  # e.g. "Kommunstyrelsen i Gränsby kommun"
    dataskyddsombud: DataProtectionOfficer | None = None
    rattslig_grund: Text | None = None  # the legal basis, in the municipality's own text
    integritetssida: Text | None = None  # a link to the municipality's page about personal data


class Organisation(Strict):
    """config/organisation.yaml: what differs between municipalities. Keys are Swedish: admins edit this file,
    and authors write them in placeholders such as {org.visselblasning.epost}."""

    namn: Text
    kort_namn: Text
    riktlinjer: Guidelines
    visselblasning: Whistleblowing
    gavoregel: GiftRule
    kontaktpersoner: dict[Slug | str, Contact] = Field(default_factory=dict)
    dataskydd: DataProtection | None = None
    # The same prose in other languages, for translated modules: {"en": {"gavoregel.text": "...", ...}}.
    # Keys are placeholder names without "org."; names, addresses and links need none.
    oversattningar: dict[Literal["en"], dict[str, Text]] = Field(default_factory=dict)


# The folder a file lives in says what it is.
FOLDER_MODELS: dict[str, type[Strict]] = {"modules": Module, "scenarios": Scenario, "quizzes": QuestionBank}
