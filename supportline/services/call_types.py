"""The plain, frozen shapes a call travels in between the services and everyone else.

``CallData`` is what a form (or an import) hands in; ``CallRecord`` is what comes back: the same
``CallData`` (normalised, with its case) plus what the system assigned. Tuples keep the order
people entered things in; sets are for enumerations where order means nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from supportline.enums import (
    AgeGroup,
    AgencyType,
    CallStatus,
    Channel,
    ChecklistState,
    ConsentLevel,
    ExploitationType,
    FollowUpStatus,
    Indicator,
    NrmConsent,
    Outcome,
    ReferralTarget,
    Route,
    Sex,
    Urgency,
    WhereExploited,
)


@dataclass(frozen=True)
class Caller:
    name: str
    agency_type: AgencyType
    rank: str = ""
    organisation: str = ""
    collar_number: str = ""
    phone: str = ""  # stored normalised: +447700900123
    email: str = ""


@dataclass(frozen=True)
class PersonData:
    """A potential victim as recorded on this call."""

    age_group: AgeGroup = AgeGroup.UNKNOWN
    sex: Sex = Sex.UNKNOWN
    age_disputed: bool = False  # treated as a child
    age_years: int | None = None  # the age as given (years), if known
    date_of_birth: date | None = None  # if known; an age under 18 makes the age group child
    nationalities: tuple[str, ...] = ()  # ISO 3166-1 alpha-2, first is the main one
    languages: tuple[str, ...] = ()  # ISO 639-3
    interpreter_needed: bool = False
    name: str = ""
    notes: str = ""
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class ChecklistEntry:
    item_id: str
    state: ChecklistState
    at: datetime
    skip_reason: str = ""


@dataclass(frozen=True)
class RouteData:
    route: Route
    chosen: bool = True
    suggested: bool = False
    suggestion_reasons: tuple[str, ...] = ()
    template_id: str = ""
    template_hash: str | None = None
    adviser_id: uuid.UUID | None = None
    advice_summary: str = ""
    checklist: tuple[ChecklistEntry, ...] = ()
    closed_at: datetime | None = None


@dataclass(frozen=True)
class ReferralData:
    target: ReferralTarget
    organisation: str = ""
    reference: str = ""
    made_at: datetime | None = None
    notes: str = ""
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class FollowUpData:
    due_at: datetime
    note: str = ""
    assignee_id: uuid.UUID | None = None
    done_at: datetime | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    #: As stored (read only: a save never changes it, the follow-ups service does), so that a
    #: form shows a done or snoozed follow-up as it is and never sends a change the save refuses.
    status: FollowUpStatus = FollowUpStatus.OPEN


@dataclass(frozen=True)
class CallData:
    caller: Caller
    opened_at: datetime
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    closed_at: datetime | None = None
    status: CallStatus = CallStatus.OPEN
    channel: Channel = Channel.PHONE
    urgency: Urgency = Urgency.ROUTINE
    consent_level: ConsentLevel = ConsentLevel.SHARE
    summary: str = ""
    narrative: str = ""
    force_area: str = ""
    where_exploited: WhereExploited = WhereExploited.UNKNOWN
    county_lines: bool = False
    suspect_may_be_victim: bool = False  # someone treated as a suspect may be a victim (s.45 defence)
    victim_at_scene: bool = False  # a potential victim is with the caller or at the scene now
    nrm_consent: NrmConsent | None = None
    exploitation_types: frozenset[ExploitationType] = frozenset()
    indicators: frozenset[Indicator] = frozenset()
    outcomes: frozenset[Outcome] = frozenset()
    persons: tuple[PersonData, ...] = ()
    routes: tuple[RouteData, ...] = ()
    referrals: tuple[ReferralData, ...] = ()
    follow_ups: tuple[FollowUpData, ...] = ()
    case_id: uuid.UUID | None = None  # None: the call starts a new case


@dataclass(frozen=True)
class CallRecord:
    data: CallData
    reference: str
    case_reference: str
    handler_id: uuid.UUID
    handler_name: str
    version: int
    created_at: datetime
    updated_at: datetime
    is_demo: bool = False

    @property
    def id(self) -> uuid.UUID:
        return self.data.id


@dataclass(frozen=True)
class CallSummary:
    """One row of the call list: enough to show and to filter, no narrative."""

    id: uuid.UUID
    reference: str
    opened_at: datetime
    closed_at: datetime | None
    status: CallStatus
    urgency: Urgency
    caller_name: str
    caller_agency_type: AgencyType
    caller_organisation: str
    force_area: str
    summary: str
    handler_name: str
    routes: tuple[Route, ...]
    case_id: uuid.UUID
    case_reference: str
    caller_collar_number: str
    caller_phone: str  # normalised: +447700900123


class SortKey(StrEnum):
    """What the call list is sorted by; ties are broken by opened_at, then id, in the same direction.

    The enumerations (urgency, status, agency) sort in the order their enum declares (crisis
    first, open first); the handler by display name.
    """

    REFERENCE = "reference"
    OPENED = "opened"
    URGENCY = "urgency"
    STATUS = "status"
    CALLER = "caller"
    AGENCY = "agency"
    FORCE_AREA = "force_area"
    HANDLER = "handler"


@dataclass(frozen=True)
class CallQuery:
    """Filters, sort and page of the call list; times are aware datetimes (the UI converts local dates).

    ``text`` is what a person types in the search box: every word must match (the last one as a
    prefix, so results come as they type); punctuation and quotes are plain text, never syntax.
    """

    opened_from: datetime | None = None  # inclusive
    opened_to: datetime | None = None  # exclusive
    status: CallStatus | None = None
    urgency: Urgency | None = None
    route: Route | None = None
    agency_type: AgencyType | None = None
    force_area: str | None = None
    handler_id: uuid.UUID | None = None
    exploitation_type: ExploitationType | None = None
    outcome: Outcome | None = None
    #: The hour of day (0-23) the call was opened in, in the line's time zone (a day's hour 14
    #: is 14:00-14:59 local time, whatever the offset that day).
    opened_hour: int | None = None
    text: str = ""
    offset: int = 0
    limit: int = 200
    sort: SortKey = SortKey.OPENED
    descending: bool = True  # with the default sort: newest first


@dataclass(frozen=True)
class CallPage:
    rows: tuple[CallSummary, ...]
    offset: int
    has_more: bool
