"""Typed SQLAlchemy models: the first-cut domain model of ARCHITECTURE.md.

Keys are client-generated UUIDs, so a retried save can never duplicate a row. Editable rows carry
a ``version`` column (SQLAlchemy's version counter): a stale edit fails instead of overwriting.
Multi-valued enumerations live in small child tables so that figures are plain SQL counts on
both dialects. Services are the only writers; the UI never sees these classes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from supportline.db.types import UTCDateTime, enum_type
from supportline.enums import (
    AgeGroup,
    AgencyType,
    AuditCategory,
    CallStatus,
    Channel,
    ChecklistState,
    ConsentLevel,
    DutyRole,
    ExploitationType,
    FollowUpKind,
    FollowUpPriority,
    FollowUpStatus,
    HandoffStatus,
    Indicator,
    NrmConsent,
    Outcome,
    ReferralTarget,
    Role,
    Route,
    Sex,
    Urgency,
    WhereExploited,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Field limits, documented here and enforced by the services' validation (the column sizes match).
NAME_MAX = 200
SHORT_MAX = 100
PHONE_MAX = 32
EMAIL_MAX = 254
SUMMARY_MAX = 500
NOTE_MAX = 20_000
NARRATIVE_MAX = 2_000_000  # characters: a narrative must take at least 1 MB
REFERENCE_MAX = 20


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = _uuid_pk()
    username: Mapped[str] = mapped_column(String(SHORT_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(String(NAME_MAX))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Migration 0006 (accounts): a lockout that ends by itself, and a password to change at the
    # next sign-in (set by an administrator's reset). ``failed_logins`` and these change with
    # plain UPDATEs that do not bump ``version`` (services/accounts.py).
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)

    __mapper_args__ = {"version_id_col": version}


class Case(Base):
    """Groups the calls about one situation; potential victims belong to it."""

    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = _uuid_pk()
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), unique=True)
    title: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    calls: Mapped[list[Call]] = relationship(back_populates="case")
    persons: Mapped[list[Person]] = relationship(back_populates="case")

    __mapper_args__ = {"version_id_col": version}


class Call(Base):
    __tablename__ = "calls"

    id: Mapped[uuid.UUID] = _uuid_pk()
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), unique=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    handler_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    urgency: Mapped[Urgency] = mapped_column(enum_type(Urgency))
    status: Mapped[CallStatus] = mapped_column(enum_type(CallStatus))
    consent_level: Mapped[ConsentLevel] = mapped_column(enum_type(ConsentLevel))

    caller_name: Mapped[str] = mapped_column(String(NAME_MAX))
    caller_rank: Mapped[str] = mapped_column(String(SHORT_MAX), default="")
    caller_agency_type: Mapped[AgencyType] = mapped_column(enum_type(AgencyType))
    caller_organisation: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    caller_collar_number: Mapped[str] = mapped_column(String(SHORT_MAX), default="", index=True)
    caller_phone: Mapped[str] = mapped_column(String(PHONE_MAX), default="", index=True)
    caller_email: Mapped[str] = mapped_column(String(EMAIL_MAX), default="")

    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    narrative: Mapped[str] = mapped_column(Text, default="")
    force_area: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    where_exploited: Mapped[WhereExploited] = mapped_column(enum_type(WhereExploited))
    county_lines: Mapped[bool] = mapped_column(Boolean, default=False)
    suspect_may_be_victim: Mapped[bool] = mapped_column(Boolean, default=False)
    victim_at_scene: Mapped[bool] = mapped_column(Boolean, default=False)
    nrm_consent: Mapped[NrmConsent | None] = mapped_column(enum_type(NrmConsent))

    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The save that last wrote this row: a retried save finding its own id was applied already.
    last_save_id: Mapped[uuid.UUID | None] = mapped_column()

    case: Mapped[Case] = relationship(back_populates="calls")
    handler: Mapped[User] = relationship()
    exploitation_types: Mapped[list[CallExploitationType]] = relationship(
        cascade="all, delete-orphan", order_by="CallExploitationType.value"
    )
    indicators: Mapped[list[CallIndicator]] = relationship(
        cascade="all, delete-orphan", order_by="CallIndicator.value"
    )
    outcomes: Mapped[list[CallOutcome]] = relationship(
        cascade="all, delete-orphan", order_by="CallOutcome.value"
    )
    persons: Mapped[list[Person]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="Person.position"
    )
    route_advice: Mapped[list[RouteAdvice]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="RouteAdvice.position"
    )
    referrals: Mapped[list[Referral]] = relationship(
        cascade="all, delete-orphan", order_by="Referral.position"
    )
    follow_ups: Mapped[list[FollowUp]] = relationship(
        cascade="all, delete-orphan", order_by="FollowUp.position"
    )

    __mapper_args__ = {"version_id_col": version}
    # The call list sorts by one of these columns, then by opened_at and id (stable paging), and
    # pages with OFFSET: each index covers its sort, so a page never needs a sort of the table.
    # Full-text search is outside the models (migration 0002; services/call_search.py).
    __table_args__ = (
        Index("ix_calls_opened_at_id", "opened_at", "id"),
        Index("ix_calls_status_opened_at_id", "status", "opened_at", "id"),
        Index("ix_calls_urgency_opened_at_id", "urgency", "opened_at", "id"),
        Index("ix_calls_caller_name_opened_at_id", "caller_name", "opened_at", "id"),
        Index("ix_calls_caller_agency_type_opened_at_id", "caller_agency_type", "opened_at", "id"),
        Index("ix_calls_force_area_opened_at_id", "force_area", "opened_at", "id"),
        Index("ix_calls_handler_id_opened_at_id", "handler_id", "opened_at", "id"),
    )


class CallExploitationType(Base):
    __tablename__ = "call_exploitation_types"

    call_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[ExploitationType] = mapped_column(enum_type(ExploitationType), primary_key=True)


class CallIndicator(Base):
    __tablename__ = "call_indicators"

    call_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[Indicator] = mapped_column(enum_type(Indicator), primary_key=True)


class CallOutcome(Base):
    __tablename__ = "call_outcomes"

    call_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[Outcome] = mapped_column(enum_type(Outcome), primary_key=True)


class Person(Base):
    """A potential victim: belongs to the case, recorded (and last edited) in one call."""

    __tablename__ = "persons"

    id: Mapped[uuid.UUID] = _uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    call_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    age_group: Mapped[AgeGroup] = mapped_column(enum_type(AgeGroup))
    age_disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The age as given, or a date of birth (both optional; migration 0004).
    age_years: Mapped[int | None] = mapped_column(SmallInteger, nullable=True, default=None)
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True, default=None)
    sex: Mapped[Sex] = mapped_column(enum_type(Sex))
    interpreter_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship(back_populates="persons")
    call: Mapped[Call] = relationship(back_populates="persons")
    nationalities: Mapped[list[PersonNationality]] = relationship(
        cascade="all, delete-orphan", order_by="PersonNationality.position"
    )
    languages: Mapped[list[PersonLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="PersonLanguage.position"
    )


class PersonNationality(Base):
    __tablename__ = "person_nationalities"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(2), primary_key=True)  # ISO 3166-1 alpha-2
    position: Mapped[int] = mapped_column(Integer, default=0)


class PersonLanguage(Base):
    __tablename__ = "person_languages"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(3), primary_key=True)  # ISO 639-3
    position: Mapped[int] = mapped_column(Integer, default=0)


class GuidanceVersion(Base):
    """The exact text of a guidance template, stored once per content hash."""

    __tablename__ = "guidance_versions"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex
    template_id: Mapped[str] = mapped_column(String(SHORT_MAX), index=True)
    template_version: Mapped[str] = mapped_column(String(SHORT_MAX))
    text: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RouteAdvice(Base):
    """One advice route on one call: was it suggested, chosen, and what was advised."""

    __tablename__ = "route_advice"
    __table_args__ = (UniqueConstraint("call_id", "route"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    call_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    route: Mapped[Route] = mapped_column(enum_type(Route))
    position: Mapped[int] = mapped_column(Integer, default=0)
    suggested: Mapped[bool] = mapped_column(Boolean, default=False)
    suggestion_reasons: Mapped[str] = mapped_column(Text, default="")
    chosen: Mapped[bool] = mapped_column(Boolean, default=True)
    template_id: Mapped[str] = mapped_column(String(SHORT_MAX), default="")
    template_hash: Mapped[str | None] = mapped_column(ForeignKey("guidance_versions.content_hash"))
    adviser_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    advice_summary: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship(back_populates="route_advice")
    checklist: Mapped[list[ChecklistTick]] = relationship(
        cascade="all, delete-orphan", order_by="ChecklistTick.position"
    )


class ChecklistTick(Base):
    __tablename__ = "checklist_ticks"

    route_advice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("route_advice.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(SHORT_MAX), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[ChecklistState] = mapped_column(enum_type(ChecklistState))
    skip_reason: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Referral(Base):
    __tablename__ = "referrals"

    id: Mapped[uuid.UUID] = _uuid_pk()
    call_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    target: Mapped[ReferralTarget] = mapped_column(enum_type(ReferralTarget), index=True)
    organisation: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    reference: Mapped[str] = mapped_column(String(SHORT_MAX), default="")
    made_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="")


class FollowUp(Base):
    """A callback promised, a referral to chase or a case to review (services/followups.py).

    Booked with its call (``CallData.follow_ups``, the form's "follow-up booked") or on its own
    (``followups.book_follow_up``). What was booked (due time, assignee, note) is part of the
    call; what became of it (status, outcome, snooze) is the follow-up's own, changed only by the
    follow-ups service under this row's ``version`` (migration 0009).
    """

    __tablename__ = "follow_ups"

    id: Mapped[uuid.UUID] = _uuid_pk()
    call_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: A person, or (``assignee_route``) whoever is on duty for that route when it falls due.
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Migration 0009 (issue 14).
    kind: Mapped[FollowUpKind] = mapped_column(enum_type(FollowUpKind), default=FollowUpKind.CALLBACK)
    priority: Mapped[FollowUpPriority] = mapped_column(
        enum_type(FollowUpPriority), default=FollowUpPriority.NORMAL
    )
    assignee_route: Mapped[Route | None] = mapped_column(enum_type(Route))
    status: Mapped[FollowUpStatus] = mapped_column(enum_type(FollowUpStatus), default=FollowUpStatus.OPEN)
    outcome: Mapped[str] = mapped_column(Text, default="")  # what happened, written when it is done
    snooze_reason: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("assignee_id IS NULL OR assignee_route IS NULL", name="one_assignee"),
        CheckConstraint(
            "(status = 'done' AND done_at IS NOT NULL) OR (status <> 'done' AND done_at IS NULL)",
            name="done_when_done",
        ),
        CheckConstraint("status <> 'snoozed' OR snoozed_until IS NOT NULL", name="snoozed_until_set"),
        Index("ix_follow_ups_status_due_at", "status", "due_at"),
    )


class RotaShift(Base):
    """One person's place on a route's duty rota for one span of time (services/rota.py).

    Shifts are explicit instants (UTC), not a weekly pattern: a night shift crosses midnight and
    a clock change simply by its end being later than its start; "copy last week" recomputes each
    copy from the local wall-clock times. At most one shift per route and role at any instant
    (checked by the service inside its serialised transaction).
    """

    __tablename__ = "rota_shifts"

    id: Mapped[uuid.UUID] = _uuid_pk()
    route: Mapped[Route] = mapped_column(enum_type(Route))
    role: Mapped[DutyRole] = mapped_column(enum_type(DutyRole))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_rota_shifts_route_role_starts_at", "route", "role", "starts_at"),
        Index("ix_rota_shifts_ends_at", "ends_at"),
    )


class CallHandoff(Base):
    """A call handed to the duty adviser of a route: it waits in that adviser's due list until
    they take it (services/followups.py)."""

    __tablename__ = "call_handoffs"

    id: Mapped[uuid.UUID] = _uuid_pk()
    call_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    route: Mapped[Route] = mapped_column(enum_type(Route))
    adviser_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[HandoffStatus] = mapped_column(enum_type(HandoffStatus), default=HandoffStatus.WAITING)
    handed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    taken_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(
            "(status = 'taken' AND taken_at IS NOT NULL) OR (status <> 'taken' AND taken_at IS NULL)",
            name="taken_when_taken",
        ),
        Index("ix_call_handoffs_status_handed_at", "status", "handed_at"),
    )


class Handover(Base):
    """One shift's handover: what the app found open at the end of the shift (``items``, a JSON
    snapshot with a note per item), the shift's figures, the outgoing supervisor's note, and the
    incoming supervisor's acknowledgement. Once acknowledged the row is read-only: the service
    refuses changes and a trigger refuses any UPDATE or DELETE (migration 0009)."""

    __tablename__ = "handovers"

    id: Mapped[uuid.UUID] = _uuid_pk()
    from_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))  # who wrote it
    shift_start: Mapped[datetime] = mapped_column(UTCDateTime)
    shift_end: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Migration 0009 (issue 14).
    items: Mapped[str] = mapped_column(Text, default="[]")  # JSON: services/handover.py
    figures: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the shift's figures
    prefilled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("shift_start", "shift_end"),
        CheckConstraint("shift_end > shift_start", name="ends_after_start"),
        CheckConstraint(
            "(acknowledged_at IS NULL AND acknowledged_by_id IS NULL)"
            " OR (acknowledged_at IS NOT NULL AND acknowledged_by_id IS NOT NULL)",
            name="acknowledged_by_someone",
        ),
    )


class Draft(Base):
    """An autosaved, unsaved form: lives in the database, never in a plaintext temp file."""

    __tablename__ = "drafts"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    call_id: Mapped[uuid.UUID | None] = mapped_column()  # the call being edited or created; no FK on purpose
    kind: Mapped[str] = mapped_column(String(SHORT_MAX), default="call")
    payload: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Append-only log of processing (DPA 2018 s.62): who did what to which record, and when."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(SHORT_MAX))
    category: Mapped[AuditCategory] = mapped_column(enum_type(AuditCategory))
    action: Mapped[str] = mapped_column(String(SHORT_MAX), index=True)
    record_type: Mapped[str] = mapped_column(String(SHORT_MAX), default="")
    record_id: Mapped[str] = mapped_column(String(SHORT_MAX), default="", index=True)
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    # Issue 12 (migration 0005): where and with what result, and the hash chain that makes the
    # trail tamper-evident (services.audit_chain): event_hash = SHA-256(canonical content, prev_hash).
    workstation: Mapped[str] = mapped_column(String(SHORT_MAX), default="")
    outcome: Mapped[str] = mapped_column(String(10), default="allowed")
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    event_hash: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (CheckConstraint("outcome IN ('allowed', 'refused')", name="outcome"),)


class ReferenceCounter(Base):
    """Next human reference number per kind and year; bumped inside the saving transaction."""

    __tablename__ = "reference_counters"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


# --- retention and erasure (migration 0007; services/retention.py, services/erasure.py) ----------


class CaseHold(Base):
    """A legal hold on a case: while it is in force (not released) no call of the case is erased,
    by the retention schedule or on request. Released holds stay, as the record of the decision."""

    __tablename__ = "case_holds"

    id: Mapped[uuid.UUID] = _uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(SUMMARY_MAX))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    placed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    release_reason: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")


class ErasureRequest(Base):
    """Erasure of one call or one person, asked for by one supervisor and approved by another."""

    __tablename__ = "erasure_requests"

    id: Mapped[uuid.UUID] = _uuid_pk()
    target_type: Mapped[str] = mapped_column(String(20))  # "call" or "person"
    target_id: Mapped[uuid.UUID] = mapped_column(index=True)  # no FK: the target is erased
    target_reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), default="")  # the call's
    reason: Mapped[str] = mapped_column(String(SUMMARY_MAX))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending, done
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class ErasureRecord(Base):
    """What was erased (table and field names, row ids), when, why and by whom: never the content."""

    __tablename__ = "erasure_records"

    id: Mapped[uuid.UUID] = _uuid_pk()
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    basis: Mapped[str] = mapped_column(String(20))  # "request" or "retention"
    target_type: Mapped[str] = mapped_column(String(20))  # "call", "person" or "draft"
    target_id: Mapped[uuid.UUID] = mapped_column(index=True)
    target_reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), default="")
    reason: Mapped[str] = mapped_column(String(SUMMARY_MAX))
    request_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("erasure_requests.id"))
    retention_run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("retention_runs.id"))
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    erased_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    erased: Mapped[str] = mapped_column(Text, default="{}")  # JSON {table: {"fields": [...], "ids": [...]}}


class RetentionRun(Base):
    """One run of the retention schedule; unfinished (``finished_at`` empty) until every batch
    is done, so an interrupted run is continued, with the same ``as_of``, by the next one."""

    __tablename__ = "retention_runs"

    id: Mapped[uuid.UUID] = _uuid_pk()
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    calls_erased: Mapped[int] = mapped_column(Integer, default=0)
    drafts_erased: Mapped[int] = mapped_column(Integer, default=0)
