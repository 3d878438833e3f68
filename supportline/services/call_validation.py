"""Checking a call before anything is written: every bad field is reported at once.

``validate_call`` returns a normalised copy (enum values from strings, trimmed text, phone
numbers in international form) or raises :class:`ValidationError` naming each bad field.
With ``exact_text=True`` (an import) text is kept exactly as given, spaces and all: a file's
values are stored as the file has them, and an export read back in gives the same call.

Every message an import can reach names what is wrong with a field, never its value: an import
shows them on a terminal, and a cell in the wrong column may hold a name or a phone number.
(Only the form reaches the message for an unknown enumeration value, which names it: an import's
values are enumerations by then, see ``call_codec``.)
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from supportline.db.models import (
    EMAIL_MAX,
    NAME_MAX,
    NARRATIVE_MAX,
    NOTE_MAX,
    PHONE_MAX,
    SHORT_MAX,
    SUMMARY_MAX,
)
from supportline.enums import (
    AgeGroup,
    AgencyType,
    CallStatus,
    Channel,
    ChecklistState,
    ConsentLevel,
    ExploitationType,
    Indicator,
    NrmConsent,
    Outcome,
    ReferralTarget,
    Route,
    Sex,
    Urgency,
    WhereExploited,
)
from supportline.reference_data import language_codes, nationality_codes
from supportline.services import person_age
from supportline.services.call_types import (
    CallData,
    Caller,
    ChecklistEntry,
    FollowUpData,
    PersonData,
    ReferralData,
    RouteData,
)
from supportline.services.errors import FieldError, ValidationError

E = TypeVar("E", bound=StrEnum)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HASH_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_FUTURE = timedelta(days=1)
MAX_ITEMS = 100  # persons, referrals, follow-ups, checklist entries per call
#: A call's times lie in [EARLIEST_TIME, LATEST_TIME): far enough from the ends of Python's
#: datetime that converting one to any time zone (or counting a period around it) cannot overflow.
EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(3000, 1, 1, tzinfo=UTC)
OUT_OF_RANGE = "is not a valid time: it must lie between the years 1900 and 2999"


class PhoneNumberError(ValueError):
    pass


def normalise_phone(raw: str) -> str:
    """A UK or international number in E.164 form (``+447700900123``); '' stays ''.

    Accepts what people type: spaces, dashes, dots, brackets, ``0044`` or ``+44`` prefixes and
    the trunk ``0``, also in ``+44 (0)20 …``.
    """
    text = raw.strip()
    if not text:
        return ""
    compact = re.sub(r"[\s\-.()/]", "", text.replace("(0)", ""))
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+"):
        digits = compact[1:]
        if not digits.isdigit() or not 8 <= len(digits) <= 15:
            raise PhoneNumberError("not a phone number: use 07700 900123 or +44 7700 900123")
        if digits.startswith("44"):
            national = digits[2:]
            if not 9 <= len(national) <= 10:
                raise PhoneNumberError("a UK number has 10 digits after +44 (9 for a few areas)")
        return "+" + digits
    if not compact.isdigit():
        raise PhoneNumberError("not a phone number: use 07700 900123 or +44 7700 900123")
    if compact.startswith("0") and len(compact) in (10, 11):
        return "+44" + compact[1:]
    raise PhoneNumberError("a UK number has 11 digits starting with 0 (e.g. 07700 900123)")


def text_problem(value: str, limit: int) -> str | None:
    """What is wrong with a piece of text for the database, or ``None``: longer than ``limit``,
    a NUL character (PostgreSQL cannot store one) or a lone surrogate (not Unicode text)."""
    if len(value) > limit:
        return f"is {len(value):,} characters; the limit is {limit:,}"
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains characters that are not valid Unicode text (lone surrogates)"
    return None


class _Checker:
    def __init__(self, *, exact_text: bool = False) -> None:
        self.errors: list[FieldError] = []
        self.exact_text = exact_text  # never trim text (an import keeps values exactly)

    def fail(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def text(self, path: str, value: Any, limit: int, *, required: bool = False, strip: bool = True) -> str:
        if not isinstance(value, str):
            self.fail(path, "must be text")
            return ""
        out = value.strip() if strip and not self.exact_text else value
        if required and not out.strip():
            self.fail(path, "required")
        elif (problem := text_problem(out, limit)) is not None:
            self.fail(path, problem)
        return out

    def enum(self, path: str, value: Any, enum_cls: type[E], *, required: bool = True) -> E | None:
        if value is None and not required:
            return None
        if isinstance(value, enum_cls):
            return value
        try:
            return enum_cls(str(value))
        except ValueError:
            allowed = ", ".join(m.value for m in enum_cls)
            # The value is named for the form; an import's values are enums by now (call_codec
            # refuses an unknown one without naming it).
            self.fail(path, f"{value!r} is not one of: {allowed}")
            return None

    def enum_set(self, path: str, values: Any, enum_cls: type[E]) -> frozenset[E]:
        out: set[E] = set()
        for value in values or ():
            member = self.enum(path, value, enum_cls)
            if member is not None:
                out.add(member)
        return frozenset(out)

    def when(self, path: str, value: Any, *, required: bool = True, future: bool = False) -> datetime | None:
        """An aware time in range; more than a day ahead only with ``future`` (a due date)."""
        if value is None:
            if required:
                self.fail(path, "required")
            return None
        if not isinstance(value, datetime):
            self.fail(path, "must be a date and time")
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail(path, "has no time zone")
            return None
        try:
            instant = value.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:30+01:00 is before the first instant Python has
            instant = None
        if instant is None or not EARLIEST_TIME <= instant < LATEST_TIME:
            self.fail(path, OUT_OF_RANGE)
            return None
        if not future and instant > datetime.now(UTC) + MAX_FUTURE:
            self.fail(path, "is more than a day in the future")
        return value

    def count(self, path: str, items: Any) -> tuple[Any, ...]:
        out: tuple[Any, ...] = tuple(items or ())
        if len(out) > MAX_ITEMS:
            self.fail(path, f"has {len(out)} entries; the limit is {MAX_ITEMS}")
        return out

    def codes(self, path: str, values: Any, known: frozenset[str], upper: bool) -> tuple[str, ...]:
        out: list[str] = []
        for i, value in enumerate(values or ()):
            code = str(value).strip()
            code = code.upper() if upper else code.lower()
            if code not in known:
                self.fail(path, f"entry {i + 1} is not a known code")
            elif code in out:
                self.fail(path, f"{code} is listed twice")
            else:
                out.append(code)
        return tuple(out)


def _caller(c: _Checker, caller: Caller) -> Caller:
    phone = c.text("caller.phone", caller.phone, PHONE_MAX)
    try:
        phone = normalise_phone(phone)
    except PhoneNumberError as exc:
        c.fail("caller.phone", str(exc))
    email = c.text("caller.email", caller.email, EMAIL_MAX)
    if email and not EMAIL_RE.match(email):
        c.fail("caller.email", "not an email address")
    return Caller(
        name=c.text("caller.name", caller.name, NAME_MAX, required=True),
        agency_type=c.enum("caller.agency_type", caller.agency_type, AgencyType) or AgencyType.OTHER,
        rank=c.text("caller.rank", caller.rank, SHORT_MAX),
        organisation=c.text("caller.organisation", caller.organisation, NAME_MAX),
        collar_number=c.text("caller.collar_number", caller.collar_number, SHORT_MAX),
        phone=phone,
        email=email,
    )


def _person(c: _Checker, path: str, p: PersonData) -> PersonData:
    return dataclasses.replace(
        p,
        age_group=c.enum(f"{path}.age_group", p.age_group, AgeGroup) or AgeGroup.UNKNOWN,
        sex=c.enum(f"{path}.sex", p.sex, Sex) or Sex.UNKNOWN,
        nationalities=c.codes(f"{path}.nationalities", p.nationalities, nationality_codes(), upper=True),
        languages=c.codes(f"{path}.languages", p.languages, language_codes(), upper=False),
        name=c.text(f"{path}.name", p.name, NAME_MAX),
        notes=c.text(f"{path}.notes", p.notes, NOTE_MAX, strip=False),
        age_disputed=bool(p.age_disputed),
        interpreter_needed=bool(p.interpreter_needed),
    )


def _checklist_entry(c: _Checker, path: str, e: ChecklistEntry) -> ChecklistEntry:
    state = c.enum(f"{path}.state", e.state, ChecklistState) or ChecklistState.TICKED
    reason = c.text(f"{path}.skip_reason", e.skip_reason, SUMMARY_MAX)
    if state is ChecklistState.SKIPPED and not reason:
        c.fail(f"{path}.skip_reason", "say why the item was skipped")
    item_id = c.text(f"{path}.item_id", e.item_id, SHORT_MAX, required=True)
    return ChecklistEntry(
        item_id=item_id, state=state, at=c.when(f"{path}.at", e.at) or e.at, skip_reason=reason
    )


def _route(c: _Checker, path: str, r: RouteData) -> RouteData:
    if r.template_hash is not None and not HASH_RE.fullmatch(str(r.template_hash)):
        c.fail(f"{path}.template_hash", "must be a SHA-256 hex digest")
    entries = c.count(f"{path}.checklist", r.checklist)
    seen: set[str] = set()
    checked: list[ChecklistEntry] = []
    for i, entry in enumerate(entries):
        e = _checklist_entry(c, f"{path}.checklist[{i}]", entry)
        if e.item_id in seen:
            c.fail(f"{path}.checklist[{i}].item_id", "the same item is listed twice")
        seen.add(e.item_id)
        checked.append(e)
    reasons = tuple(c.text(f"{path}.suggestion_reasons", x, SUMMARY_MAX) for x in r.suggestion_reasons)
    return dataclasses.replace(
        r,
        route=c.enum(f"{path}.route", r.route, Route) or Route.TACTICAL,
        suggestion_reasons=reasons,
        template_id=c.text(f"{path}.template_id", r.template_id, SHORT_MAX),
        advice_summary=c.text(f"{path}.advice_summary", r.advice_summary, NOTE_MAX, strip=False),
        checklist=tuple(checked),
        closed_at=c.when(f"{path}.closed_at", r.closed_at, required=False),
    )


def _referral(c: _Checker, path: str, r: ReferralData) -> ReferralData:
    return dataclasses.replace(
        r,
        target=c.enum(f"{path}.target", r.target, ReferralTarget) or ReferralTarget.OTHER,
        organisation=c.text(f"{path}.organisation", r.organisation, NAME_MAX),
        reference=c.text(f"{path}.reference", r.reference, SHORT_MAX),
        made_at=c.when(f"{path}.made_at", r.made_at, required=False),
        notes=c.text(f"{path}.notes", r.notes, NOTE_MAX, strip=False),
    )


def _follow_up(c: _Checker, path: str, f: FollowUpData) -> FollowUpData:
    due = c.when(f"{path}.due_at", f.due_at, future=True)
    return dataclasses.replace(
        f,
        due_at=due or f.due_at,
        note=c.text(f"{path}.note", f.note, NOTE_MAX, strip=False),
        done_at=c.when(f"{path}.done_at", f.done_at, required=False),
    )


def validate_call(data: CallData, *, exact_text: bool = False) -> CallData:
    """The normalised call, or :class:`ValidationError` listing every problem.

    ``exact_text``: keep text exactly as given (an import); otherwise text is trimmed (the form).
    """
    c = _Checker(exact_text=exact_text)
    if not isinstance(data.caller, Caller):
        c.fail("caller", "required")
        caller = Caller(name="", agency_type=AgencyType.OTHER)
    else:
        caller = _caller(c, data.caller)
    opened = c.when("opened_at", data.opened_at)
    closed = c.when("closed_at", data.closed_at, required=False)
    status = c.enum("status", data.status, CallStatus) or CallStatus.OPEN
    if opened and closed and closed < opened:
        c.fail("closed_at", "is before the call was opened")
    if status is CallStatus.CLOSED and closed is None:
        c.fail("closed_at", "required when the call is closed")
    if status is CallStatus.OPEN and closed is not None:
        c.fail("status", "must be closed when the call has an end time")

    persons = tuple(
        person_age.checked(c.fail, f"persons[{i}]", _person(c, f"persons[{i}]", p), opened)
        for i, p in enumerate(c.count("persons", data.persons))
    )
    if len({p.id for p in persons}) != len(persons):
        c.fail("persons", "the same person is listed twice")
    routes = tuple(_route(c, f"routes[{i}]", r) for i, r in enumerate(c.count("routes", data.routes)))
    if len({r.route for r in routes}) != len(routes):
        c.fail("routes", "a route is listed twice")
    referrals = tuple(
        _referral(c, f"referrals[{i}]", r) for i, r in enumerate(c.count("referrals", data.referrals))
    )
    follow_ups = tuple(
        _follow_up(c, f"follow_ups[{i}]", f) for i, f in enumerate(c.count("follow_ups", data.follow_ups))
    )
    for name, items in (("referrals", referrals), ("follow_ups", follow_ups)):
        if len({x.id for x in items}) != len(items):
            c.fail(name, "the same entry is listed twice")

    normalised = dataclasses.replace(
        data,
        caller=caller,
        status=status,
        channel=c.enum("channel", data.channel, Channel) or Channel.PHONE,
        urgency=c.enum("urgency", data.urgency, Urgency) or Urgency.ROUTINE,
        consent_level=c.enum("consent_level", data.consent_level, ConsentLevel) or ConsentLevel.SHARE,
        summary=c.text("summary", data.summary, SUMMARY_MAX),
        narrative=c.text("narrative", data.narrative, NARRATIVE_MAX, strip=False),
        force_area=c.text("force_area", data.force_area, NAME_MAX),
        where_exploited=c.enum("where_exploited", data.where_exploited, WhereExploited)
        or WhereExploited.UNKNOWN,
        nrm_consent=c.enum("nrm_consent", data.nrm_consent, NrmConsent, required=False),
        county_lines=bool(data.county_lines),
        suspect_may_be_victim=bool(data.suspect_may_be_victim),
        victim_at_scene=bool(data.victim_at_scene),
        exploitation_types=c.enum_set("exploitation_types", data.exploitation_types, ExploitationType),
        indicators=c.enum_set("indicators", data.indicators, Indicator),
        outcomes=c.enum_set("outcomes", data.outcomes, Outcome),
        persons=persons,
        routes=routes,
        referrals=referrals,
        follow_ups=follow_ups,
    )
    if c.errors:
        raise ValidationError(c.errors)
    return normalised
