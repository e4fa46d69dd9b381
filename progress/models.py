"""Tables. Created and changed only by the Alembic migrations in progress/migrations/."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Times are naive UTC everywhere (SQLite keeps no time zone; PostgreSQL gets the same values)."""

    pass


class Unit(Base):
    """A unit of the organisation: förvaltning, avdelning, enhet, bolag or nämnd; a tree through parent_id."""

    __tablename__ = "units"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="enhet")
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True)
    manager_id: Mapped[str | None] = mapped_column(String(64), index=True)  # a person id; no FK: people need units


class Person(Base):
    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)


class PersonRole(Base):
    __tablename__ = "person_roles"
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class PersonPreference(Base):
    """What a person chose for themselves in the app: the language of its pages and of their reminders. A table
    of its own, not columns on people, because the HR import rewrites people's rows from the staff file."""

    __tablename__ = "person_preferences"
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(8))  # one of i18n.LANGUAGES
    updated_at: Mapped[datetime] = mapped_column(DateTime())


class Attempt(Base):
    """One play of a scenario or one try at a quiz, numbered per person and item."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("person_id", "item_id", "attempt_no", name="uq_attempt_no"),
        Index("ix_attempts_person_module", "person_id", "module_id"),
        Index("ix_attempts_person_module_started", "person_id", "module_id", "started_at"),
        CheckConstraint("(module_id IS NULL) <> (track_id IS NULL)", name="ck_attempt_owner"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    # What the attempt belongs to, exactly one of the two: a module's own scenario or quiz, or a track's topic
    # quiz (kind diagnostic or booster: the refresher's diagnostic and the booster belong to the track).
    module_id: Mapped[str | None] = mapped_column(String(80))
    track_id: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # 'scenario' | 'quiz' | 'diagnostic' | 'booster'
    item_id: Mapped[str] = mapped_column(String(80))  # scenario id or question bank id
    attempt_no: Mapped[int] = mapped_column(Integer)
    content_version: Mapped[str] = mapped_column(String(32))
    seed: Mapped[int] = mapped_column(Integer, default=0)  # a quiz's draw, a scenario's choice orders
    started_at: Mapped[datetime] = mapped_column(DateTime())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime())
    outcome: Mapped[str | None] = mapped_column(String(16))  # scenario ending, or 'godkand'/'underkand'
    score_percent: Mapped[float | None] = mapped_column()
    # The questions drawn at the start, with each one's option order, as JSON: [[question id, [order]], ...].
    # Stored (like Moodle's slots) because a draw that avoids the last attempt's questions cannot be re-derived
    # from the seed alone. Older attempts have none and are re-derived from the seed. A scenario's attempt keeps
    # its choice points' orders here the same way: [[node id, [order of its choices]], ...] (play.DrawnNode).
    drawn: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str | None] = mapped_column(Text)  # diagnostic: JSON list of the module ids it may waive


class Step(Base):
    """One answer: the raw response at step `step_no` of an attempt. State is derived by replaying these."""

    __tablename__ = "steps"
    __table_args__ = (UniqueConstraint("attempt_id", "step_no", name="uq_step_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    step_no: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(80))  # node id (scenario) or question id (quiz)
    response: Mapped[str] = mapped_column(Text)  # JSON: a choice index, or a sorted list of option indexes
    correct: Mapped[bool | None] = mapped_column()  # quiz answers: scored on the server when recorded
    confidence: Mapped[int | None] = mapped_column()  # 1 gissar, 2 ganska säker, 3 säker (certainty-based marking)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    answered_at: Mapped[datetime] = mapped_column(DateTime())


class Completion(Base):
    __tablename__ = "completions"
    __table_args__ = (Index("ix_completions_person_module", "person_id", "module_id", "completed_at"),
                      # covers the dashboard's completions per month and scores: read from the index alone
                      Index("ix_completions_period", "completed_at", "person_id", "module_id", "score_percent"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    module_id: Mapped[str] = mapped_column(String(80))
    content_version: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(DateTime())
    completed_at: Mapped[datetime] = mapped_column(DateTime())
    score_percent: Mapped[float] = mapped_column()
    # the answer that completed it; None once retention has culled that answer (the completion stays)
    trigger_step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id"), unique=True)


class Attestation(Base):
    """The learner confirms, at the end of a track, having read the municipality's guidelines (this version)."""

    __tablename__ = "attestations"
    __table_args__ = (UniqueConstraint("person_id", "track_id", "guideline_version", name="uq_attestation"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    track_id: Mapped[str] = mapped_column(String(80))
    guideline_version: Mapped[str] = mapped_column(String(64))
    attested_at: Mapped[datetime] = mapped_column(DateTime())


class Waiver(Base):
    """A module passed by the refresher's diagnostic ("klarad via diagnos"), kept apart from a completion the way
    cmi5 records a waiver: the learner showed they know it, without playing it this round."""

    __tablename__ = "waivers"
    __table_args__ = (UniqueConstraint("person_id", "module_id", "diagnostic_attempt_id", name="uq_waiver"),
                      Index("ix_waivers_person_module", "person_id", "module_id", "waived_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    module_id: Mapped[str] = mapped_column(String(80))
    content_version: Mapped[str] = mapped_column(String(32))
    waived_at: Mapped[datetime] = mapped_column(DateTime())
    diagnostic_attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))


class Reflection(Base):
    """What the learner takes with them from a module, in their own words. The manager sees it only when the
    learner has chosen to share it before the appraisal talk."""

    __tablename__ = "reflections"
    __table_args__ = (UniqueConstraint("person_id", "module_id", name="uq_reflection"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    module_id: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime())


class SentMessage(Base):
    """An e-mail the reminder run sent. The unique key is what stops the same reminder going out twice."""

    __tablename__ = "sent_messages"
    __table_args__ = (UniqueConstraint("recipient_id", "kind", "dedup_key", name="uq_sent_message"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # e.g. 'snart', 'forsenad', 'veckosammanfattning'
    dedup_key: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    sent_at: Mapped[datetime] = mapped_column(DateTime())


class Certificate(Base):
    """A certificate issued for a completed track; `code` is printed on it and checked by an admin."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("person_id", "track_id", "completed_on", name="uq_certificate"),)
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(200))  # as printed, even if the name changes later
    track_id: Mapped[str] = mapped_column(String(80))
    track_title: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[date] = mapped_column(Date)
    content_version: Mapped[str] = mapped_column(String(400))
    issued_at: Mapped[datetime] = mapped_column(DateTime())


class TopicTally(Base):
    """First answers to quiz questions, counted per unit, role, topic and month, in the same transaction as the
    answer. The heat map, topic mastery over time and the annual report read these few rows instead of grouping
    millions of steps; `progress.tallies.rebuild` recomputes them from the steps, which stay the record.
    role '' counts everyone once; a row per role counts the people with that role."""

    __tablename__ = "topic_tallies"
    # covers the heat map's sums for a period: read from the index alone
    __table_args__ = (Index("ix_topic_tallies_period", "role", "month", "unit_id", "topic", "answered", "correct"),)
    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    topic: Mapped[str] = mapped_column(String(80), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the first day of the month
    answered: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)


class ModuleState(Base):
    """Per person and (original) module: the latest completion, waiver and start, the dates the status rules
    read. Kept in the same transaction as the record that moves it, like the topic tallies, so the dashboard
    classifies tens of thousands of people with one join instead of grouping millions of attempts; status
    itself is never stored. `progress.states.rebuild` recomputes every row from the records."""

    __tablename__ = "module_states"
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
    module_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    last_completed_at: Mapped[datetime | None] = mapped_column(DateTime())
    last_score: Mapped[float | None] = mapped_column()
    last_waived_at: Mapped[datetime | None] = mapped_column(DateTime())
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime())


class DailyStatusCount(Base):
    """How many people have each status, per unit, role mask and module, on one day: the dashboard's counts
    for a whole municipality kept ahead of time. Made from the records on the day's first view
    (progress.daily_counts), then moved in the same transaction as every module state that changes a status;
    an import or a change of rules starts it over. Status per person is never stored."""

    __tablename__ = "daily_status_counts"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rules_key: Mapped[str] = mapped_column(String(16), primary_key=True)  # the tracks and due rules it was made by
    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mask: Mapped[int] = mapped_column(Integer, primary_key=True)  # the person's roles, one bit each
    module_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Identity(Base):
    """A sign-in identity bound to one person: the provider (issuer) and its stable id for them (`sub`, or
    Entra's `oid`). Bound at the first sign-in, by an unambiguous verified e-mail; after that the e-mail is
    never used again for this person, so a re-used or changed address cannot hand over an account."""

    __tablename__ = "identities"
    issuer: Mapped[str] = mapped_column(String(300), primary_key=True)
    subject: Mapped[str] = mapped_column(String(300), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    bound_at: Mapped[datetime] = mapped_column(DateTime())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime())


class AuditEvent(Base):
    """Who did what to or about whom, and when: every view of another person's results and every admin action.
    Append-only: no code updates a row, and a trigger refuses UPDATE on both databases; only the audit log's own
    retention deletes."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(64), index=True)  # a person id, or None for the CLI/system
    action: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(String(64))  # whose data, when it is about one person
    detail: Mapped[str | None] = mapped_column(Text)  # JSON: what exactly (a page, a file name, counts)


class StoreMeta(Base):
    """Facts about the database itself, e.g. `made_by = demo-seed`: demo mode runs only over a database the demo
    seed made, so a real staff list can never be opened with the demo's user switcher."""

    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- group mode for the workplace meeting (APT): course/group.py has the rules, progress/group_sessions.py writes --

class GroupSession(Base):
    """A scenario a team plays together on one screen, led by a facilitator for one unit. Where it stands is
    derived from its events (group_events); ended_at is written with the 'ended' event. A code is never reused,
    so it is unique among every session, not only the open ones."""

    __tablename__ = "group_sessions"
    __table_args__ = (Index("ix_group_sessions_facilitator", "facilitator_id", "started_at"),
                      Index("ix_group_sessions_unit", "unit_id", "started_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # course.group.new_code, normalised
    facilitator_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    module_id: Mapped[str] = mapped_column(String(80))  # the original module (as completions keep it)
    scenario_id: Mapped[str] = mapped_column(String(80))  # the scenario played, in its language
    content_version: Mapped[str] = mapped_column(String(32))  # of the module played (a translation's own)
    language: Mapped[str] = mapped_column(String(8))
    seed: Mapped[int] = mapped_column(Integer, default=0)  # the choices' order at each node (play.choice_order)
    started_at: Mapped[datetime] = mapped_column(DateTime())
    ended_at: Mapped[datetime | None] = mapped_column(DateTime())


class GroupSessionEvent(Base):
    """What happened in a session, numbered by `seq`: started, node_shown, revealed (with the tally), choice_followed,
    stepped_back, ended, attendance_confirmed (course.group.KINDS). There is no event per vote: see group_ballots."""

    __tablename__ = "group_events"
    __table_args__ = (UniqueConstraint("session_id", "seq", name="uq_group_event_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("group_sessions.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 0, 1, 2, ... per session
    kind: Mapped[str] = mapped_column(String(24))
    step_no: Mapped[int] = mapped_column(Integer)
    node_id: Mapped[str] = mapped_column(String(80))
    choice_index: Mapped[int | None] = mapped_column(Integer)  # choice_followed
    tally: Mapped[str | None] = mapped_column(Text)  # revealed: JSON list, the votes per choice index
    at: Mapped[datetime] = mapped_column(DateTime())


# Votes are anonymous to everyone, the database included: no row may say who voted for what, and none may let
# it be worked out. So there is no event per vote and nothing about a vote carries a time: a vote adds one to
# its choice's count in place (group_vote_counts, made at 0 for every choice when the node is shown, so not even
# the order in which counts appear follows the votes) and writes a ballot that says only that this person voted
# at this step (group_ballots, no choice, no time, no id of its own whose order could be matched to a count); a
# ballot exists only to refuse a second vote. On PostgreSQL a row's xmin names the transaction that wrote it, and
# the last ballot for a choice shares it with that choice's count: so the ballots of a step are deleted when
# its vote closes (revealed, a step back, the end), and only the counts stay.

class GroupVoteCount(Base):
    __tablename__ = "group_vote_counts"
    session_id: Mapped[int] = mapped_column(ForeignKey("group_sessions.id"), primary_key=True)
    step_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    choice_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class GroupBallot(Base):
    __tablename__ = "group_ballots"
    session_id: Mapped[int] = mapped_column(ForeignKey("group_sessions.id"), primary_key=True)
    step_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)


class GroupParticipant(Base):
    """Who joined a session by its code (the attendance list ticks them)."""

    __tablename__ = "group_participants"
    session_id: Mapped[int] = mapped_column(ForeignKey("group_sessions.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime())


class GroupSessionRecord(Base):
    """A group session for one person the facilitator confirmed took part: its own kind of record, beside
    completions and waivers. What it counts for is the track rules' (course.group.counts_for)."""

    __tablename__ = "group_session_records"
    __table_args__ = (UniqueConstraint("session_id", "person_id", name="uq_group_session_record"),
                      Index("ix_group_session_records_person", "person_id", "module_id", "held_on"),
                      Index("ix_group_session_records_held", "held_on", "module_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("group_sessions.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    module_id: Mapped[str] = mapped_column(String(80))  # the original module
    scenario_id: Mapped[str] = mapped_column(String(80))
    content_version: Mapped[str] = mapped_column(String(32))
    held_on: Mapped[date] = mapped_column(Date)
    facilitator_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    participants: Mapped[int] = mapped_column(Integer)  # how many were confirmed for the session
    ending: Mapped[str | None] = mapped_column(String(16))  # the ending the group reached; None: ended before one
    confirmed_at: Mapped[datetime] = mapped_column(DateTime())


class FacilitatorRight(Base):
    """An admin's grant: the person may lead group sessions for the unit and the units under it without managing
    it (progress/facilitators.py). A table of its own, not a role: the HR import replaces people's roles with the
    file's, and a right given in the app must outlive the next import. granted_by is the admin (None: the
    operator at the command line, or an admin since erased); the audit log keeps who did what."""

    __tablename__ = "facilitator_rights"
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)
    granted_by: Mapped[str | None] = mapped_column(String(64))  # a person id; no FK, like the audit log's actor
    granted_at: Mapped[datetime] = mapped_column(DateTime())
