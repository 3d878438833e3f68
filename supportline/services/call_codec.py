"""``CallData`` to and from plain JSON values, for drafts now and JSON Lines export/import later.

The encoding is meant to be read by people and other tools: UUIDs as strings, enumerations by
value, aware datetimes as ISO 8601 with their UTC offset, sets as sorted lists, and ``None`` as
``null``. Every field is always written, and the object carries ``"format": FORMAT`` so that a
later change of shape can still read what was written before.

Decoding is strict about *shape* and lenient about *content*: an unknown or missing key, a value
of the wrong JSON type, an unknown enumeration value, a malformed UUID or a datetime without an
offset is a :class:`ValidationError` whose :class:`FieldError` paths name the key
(``persons[0].sex``), and every such problem is reported at once. A message says what is wrong,
never the value (which may be personal data in the wrong place). Business rules (a caller's
name is required, a phone number must be valid) are *not* checked here: a half-filled form must
survive a round trip unchanged. ``call_validation.validate_call`` does that when a call is saved.

Datetimes keep their instant and their UTC offset, not the zone's rules: one written in
Europe/London comes back with a fixed offset (``+01:00``). Such values are equal (``==``) except
for a wall-clock time that occurs twice in the original zone, which Python compares unequal
across zones (PEP 495); compare those in UTC.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final, TypeVar

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

FORMAT: Final = 1
FORMAT_KEY: Final = "format"

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # stands in for a bad value while the rest is checked
_NO_ID = uuid.UUID(int=0)


# --- encoding -------------------------------------------------------------------------------------


def _enum(value: StrEnum | str) -> str:
    return value.value if isinstance(value, StrEnum) else str(value)


def _enum_or_none(value: StrEnum | str | None) -> str | None:
    return None if value is None else _enum(value)


def _time(value: datetime) -> str:
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"naive datetime {value!r}: a call's times must be timezone-aware")
    if offset % timedelta(seconds=1):
        value = value.astimezone(UTC)  # fromisoformat drops a fraction of a second in the offset
    return value.isoformat()


def _time_or_none(value: datetime | None) -> str | None:
    return None if value is None else _time(value)


def _id_or_none(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def _sorted(values: Iterable[StrEnum | str]) -> list[str]:
    return sorted(_enum(v) for v in values)


def _caller_json(c: Caller) -> dict[str, Any]:
    return {
        "name": c.name,
        "agency_type": _enum(c.agency_type),
        "rank": c.rank,
        "organisation": c.organisation,
        "collar_number": c.collar_number,
        "phone": c.phone,
        "email": c.email,
    }


def _person_json(p: PersonData) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "age_group": _enum(p.age_group),
        "sex": _enum(p.sex),
        "age_disputed": p.age_disputed,
        "age_years": p.age_years,
        "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth is not None else None,
        "nationalities": list(p.nationalities),
        "languages": list(p.languages),
        "interpreter_needed": p.interpreter_needed,
        "name": p.name,
        "notes": p.notes,
    }


def _checklist_json(e: ChecklistEntry) -> dict[str, Any]:
    return {"item_id": e.item_id, "state": _enum(e.state), "at": _time(e.at), "skip_reason": e.skip_reason}


def _route_json(r: RouteData) -> dict[str, Any]:
    return {
        "route": _enum(r.route),
        "chosen": r.chosen,
        "suggested": r.suggested,
        "suggestion_reasons": list(r.suggestion_reasons),
        "template_id": r.template_id,
        "template_hash": r.template_hash,
        "adviser_id": _id_or_none(r.adviser_id),
        "advice_summary": r.advice_summary,
        "checklist": [_checklist_json(e) for e in r.checklist],
        "closed_at": _time_or_none(r.closed_at),
    }


def _referral_json(r: ReferralData) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "target": _enum(r.target),
        "organisation": r.organisation,
        "reference": r.reference,
        "made_at": _time_or_none(r.made_at),
        "notes": r.notes,
    }


def _follow_up_json(f: FollowUpData) -> dict[str, Any]:
    return {
        "id": str(f.id),
        "due_at": _time(f.due_at),
        "note": f.note,
        "assignee_id": _id_or_none(f.assignee_id),
        "done_at": _time_or_none(f.done_at),
        "status": _enum(f.status),
    }


def children_jsonable(data: CallData) -> dict[str, list[dict[str, Any]]]:
    """The ``persons``, ``routes``, ``referrals`` and ``follow_ups`` of :func:`to_jsonable`
    alone (exports write them as one JSON column each)."""
    return {
        "persons": [_person_json(p) for p in data.persons],
        "routes": [_route_json(r) for r in data.routes],
        "referrals": [_referral_json(r) for r in data.referrals],
        "follow_ups": [_follow_up_json(f) for f in data.follow_ups],
    }


def to_jsonable(data: CallData) -> dict[str, Any]:
    """``data`` as a JSON object (dicts, lists, strings, booleans and ``None`` only).

    Raises ``ValueError`` for a naive datetime: that is a programming error, not user input.
    """
    return {
        FORMAT_KEY: FORMAT,
        "id": str(data.id),
        "caller": _caller_json(data.caller),
        "opened_at": _time(data.opened_at),
        "closed_at": _time_or_none(data.closed_at),
        "status": _enum(data.status),
        "channel": _enum(data.channel),
        "urgency": _enum(data.urgency),
        "consent_level": _enum(data.consent_level),
        "summary": data.summary,
        "narrative": data.narrative,
        "force_area": data.force_area,
        "where_exploited": _enum(data.where_exploited),
        "county_lines": data.county_lines,
        "suspect_may_be_victim": data.suspect_may_be_victim,
        "victim_at_scene": data.victim_at_scene,
        "nrm_consent": _enum_or_none(data.nrm_consent),
        "exploitation_types": _sorted(data.exploitation_types),
        "indicators": _sorted(data.indicators),
        "outcomes": _sorted(data.outcomes),
        **children_jsonable(data),
        "case_id": _id_or_none(data.case_id),
    }


# --- decoding -------------------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def fail(self, path: str, message: str) -> None:
        self.items.append(FieldError(path, message))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


class _Reader:
    """Reads one JSON object at ``path``, noting every key it was asked for (the rest are unknown)."""

    def __init__(self, errors: _Errors, path: str, value: Any) -> None:
        self._errors = errors
        self._path = path
        self._asked: set[str] = set()
        self._valid = isinstance(value, Mapping)
        self._obj: Mapping[Any, Any] = value if isinstance(value, Mapping) else {}
        if not self._valid:
            errors.fail(path or "(payload)", f"must be an object, not {_json_type(value)}")

    def path(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def _fail(self, path: str, message: str) -> None:
        self._errors.fail(path, message)

    def _get(self, key: str) -> tuple[bool, Any]:
        self._asked.add(key)
        if key not in self._obj:
            if self._valid:
                self._fail(self.path(key), "missing")
            return False, None
        return True, self._obj[key]

    def _optional(self, key: str) -> Any:
        """The value, or ``None`` when it is null or missing (a missing key is reported)."""
        return self._get(key)[1]

    def expect(self, key: str) -> None:
        """``key`` is known, and read by someone else."""
        self._asked.add(key)

    def finish(self) -> None:
        for key in self._obj:
            if key not in self._asked:
                self._fail(self.path(str(key)), "unknown key")

    # scalars: each returns a stand-in after reporting a bad value, so that checking goes on

    def _wrong(self, path: str, expected: str, value: Any) -> None:
        self._fail(path, f"must be {expected}, not {_json_type(value)}")

    def text(self, key: str) -> str:
        found, value = self._get(key)
        if found and not isinstance(value, str):
            self._wrong(self.path(key), "text", value)
        return value if isinstance(value, str) else ""

    def text_or_none(self, key: str) -> str | None:
        value = self._optional(key)
        if value is None:
            return None
        return self._check_text(self.path(key), value)

    def _check_text(self, path: str, value: Any) -> str:
        if not isinstance(value, str):
            self._wrong(path, "text", value)
            return ""
        return value

    def flag(self, key: str) -> bool:
        found, value = self._get(key)
        if found and not isinstance(value, bool):
            self._wrong(self.path(key), "true or false", value)
        return value if isinstance(value, bool) else False

    def flag_added_later(self, key: str) -> bool:
        """A boolean added to the format after payloads were written: missing reads as false
        (a draft saved before it existed still opens); a value of the wrong type is still refused."""
        if key not in self._obj:
            self._asked.add(key)
            return False
        return self.flag(key)

    def whole_or_none_added_later(self, key: str) -> int | None:
        """A whole number or null, added to the format later: missing reads as null."""
        self._asked.add(key)
        value = self._obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self._wrong(self.path(key), "a whole number or null", value)
            return None
        return value

    def date_or_none_added_later(self, key: str) -> date | None:
        """A date (``YYYY-MM-DD``) or null, added to the format later: missing reads as null."""
        self._asked.add(key)
        value = self._obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self._wrong(self.path(key), "a date (YYYY-MM-DD) or null", value)
            return None
        try:
            if len(value) != len("2011-03-15"):  # fromisoformat reads "20110315" too
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            self._fail(self.path(key), f"must be a date (YYYY-MM-DD), not {value!r}")
            return None

    def _parse_uuid(self, path: str, value: Any) -> uuid.UUID:
        if not isinstance(value, str):
            self._wrong(path, "a UUID in text", value)
            return _NO_ID
        try:
            parsed = uuid.UUID(value)
        except ValueError:
            parsed = None
        if parsed is None or str(parsed) != value.lower():
            self._fail(path, "is not a UUID (8-4-4-4-12 hexadecimal digits)")
            return _NO_ID
        return parsed

    def ident(self, key: str) -> uuid.UUID:
        found, value = self._get(key)
        if not found:
            return _NO_ID
        if isinstance(value, str) and _UUID_TEXT.fullmatch(value):  # the common case, without a path
            return uuid.UUID(value)
        return self._parse_uuid(self.path(key), value)

    def ident_or_none(self, key: str) -> uuid.UUID | None:
        value = self._optional(key)
        if value is None:
            return None
        if isinstance(value, str) and _UUID_TEXT.fullmatch(value):
            return uuid.UUID(value)
        return self._parse_uuid(self.path(key), value)

    def _parse_time(self, path: str, value: Any) -> datetime:
        if not isinstance(value, str):
            self._wrong(path, "a date and time in text", value)
            return _EPOCH
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self._fail(path, "is not a valid time (ISO 8601, e.g. 2026-06-14T09:30:00+01:00)")
            return _EPOCH
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self._fail(path, "has no UTC offset (e.g. +01:00 or Z)")
            return _EPOCH
        return parsed

    def time(self, key: str) -> datetime:
        found, value = self._get(key)
        if not found:
            return _EPOCH
        return _good_time(value) or self._parse_time(self.path(key), value)

    def time_or_none(self, key: str) -> datetime | None:
        value = self._optional(key)
        if value is None:
            return None
        return _good_time(value) or self._parse_time(self.path(key), value)

    def _parse_enum(self, path: str, value: Any, enum_cls: type[E]) -> E:
        fallback = next(iter(enum_cls))
        if not isinstance(value, str):
            self._wrong(path, "text", value)
            return fallback
        try:
            return enum_cls(value)
        except ValueError:
            allowed = ", ".join(m.value for m in enum_cls)
            self._fail(path, f"is not one of: {allowed}")
            return fallback

    def enum(self, key: str, enum_cls: type[E]) -> E:
        found, value = self._get(key)
        if not found:
            return next(iter(enum_cls))
        member = _member(enum_cls, value)
        return member if member is not None else self._parse_enum(self.path(key), value, enum_cls)

    def enum_added_later(self, key: str, enum_cls: type[E], default: E) -> E:
        """An enumeration added to the format later: missing reads as ``default``; a value
        that is not one of the enumeration is still refused."""
        if key not in self._obj:
            self._asked.add(key)
            return default
        return self.enum(key, enum_cls)

    def enum_or_none(self, key: str, enum_cls: type[E]) -> E | None:
        value = self._optional(key)
        if value is None:
            return None
        member = _member(enum_cls, value)
        return member if member is not None else self._parse_enum(self.path(key), value, enum_cls)

    def _list(self, key: str) -> list[Any]:
        found, value = self._get(key)
        if not found:
            return []
        if not isinstance(value, list | tuple):
            self._wrong(self.path(key), "a list", value)
            return []
        return list(value)

    def enum_set(self, key: str, enum_cls: type[E]) -> frozenset[E]:
        out: set[E] = set()
        for i, value in enumerate(self._list(key)):
            member = _member(enum_cls, value)
            if member is None:
                member = self._parse_enum(f"{self.path(key)}[{i}]", value, enum_cls)
            if member in out:
                self._fail(f"{self.path(key)}[{i}]", f"{member.value!r} is listed twice")
            out.add(member)
        return frozenset(out)

    def texts(self, key: str) -> tuple[str, ...]:
        return tuple(self._check_text(f"{self.path(key)}[{i}]", v) for i, v in enumerate(self._list(key)))

    def objects(self, key: str, decode: Callable[[_Reader], T]) -> tuple[T, ...]:
        out: list[T] = []
        for i, value in enumerate(self._list(key)):
            out.append(_read(self._errors, f"{self.path(key)}[{i}]", value, decode))
        return tuple(out)

    def object(self, key: str, decode: Callable[[_Reader], T]) -> T:
        found, value = self._get(key)
        # A missing object was reported above; read an empty one without reporting its keys.
        return _read(self._errors if found else _Errors(), self.path(key), value if found else {}, decode)


#: A UUID in its canonical text (what ``str(uuid)`` gives, in either case).
_UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _member(enum_cls: type[E], value: Any) -> E | None:
    """The member whose value ``value`` is, or None (then the slow path reports why)."""
    if not isinstance(value, str):
        return None
    member = enum_cls._value2member_map_.get(value)
    return member if isinstance(member, enum_cls) else None


def _good_time(value: Any) -> datetime | None:
    """``value`` read as an aware time, or None when it is not one (the slow path reports why)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None and parsed.utcoffset() is not None else None


def _read(errors: _Errors, path: str, value: Any, decode: Callable[[_Reader], T]) -> T:
    reader = _Reader(errors, path, value)  # not an object: reported once, its keys are not
    result = decode(reader)
    reader.finish()
    return result


def _caller(r: _Reader) -> Caller:
    return Caller(
        name=r.text("name"),
        agency_type=r.enum("agency_type", AgencyType),
        rank=r.text("rank"),
        organisation=r.text("organisation"),
        collar_number=r.text("collar_number"),
        phone=r.text("phone"),
        email=r.text("email"),
    )


def _person(r: _Reader) -> PersonData:
    return PersonData(
        id=r.ident("id"),
        age_group=r.enum("age_group", AgeGroup),
        sex=r.enum("sex", Sex),
        age_disputed=r.flag("age_disputed"),
        age_years=r.whole_or_none_added_later("age_years"),
        date_of_birth=r.date_or_none_added_later("date_of_birth"),
        nationalities=r.texts("nationalities"),
        languages=r.texts("languages"),
        interpreter_needed=r.flag("interpreter_needed"),
        name=r.text("name"),
        notes=r.text("notes"),
    )


def _checklist_entry(r: _Reader) -> ChecklistEntry:
    return ChecklistEntry(
        item_id=r.text("item_id"),
        state=r.enum("state", ChecklistState),
        at=r.time("at"),
        skip_reason=r.text("skip_reason"),
    )


def _route(r: _Reader) -> RouteData:
    return RouteData(
        route=r.enum("route", Route),
        chosen=r.flag("chosen"),
        suggested=r.flag("suggested"),
        suggestion_reasons=r.texts("suggestion_reasons"),
        template_id=r.text("template_id"),
        template_hash=r.text_or_none("template_hash"),
        adviser_id=r.ident_or_none("adviser_id"),
        advice_summary=r.text("advice_summary"),
        checklist=r.objects("checklist", _checklist_entry),
        closed_at=r.time_or_none("closed_at"),
    )


def _referral(r: _Reader) -> ReferralData:
    return ReferralData(
        id=r.ident("id"),
        target=r.enum("target", ReferralTarget),
        organisation=r.text("organisation"),
        reference=r.text("reference"),
        made_at=r.time_or_none("made_at"),
        notes=r.text("notes"),
    )


def _follow_up(r: _Reader) -> FollowUpData:
    return FollowUpData(
        id=r.ident("id"),
        due_at=r.time("due_at"),
        note=r.text("note"),
        assignee_id=r.ident_or_none("assignee_id"),
        done_at=r.time_or_none("done_at"),
        status=r.enum_added_later("status", FollowUpStatus, FollowUpStatus.OPEN),
    )


def _call(r: _Reader) -> CallData:
    return CallData(
        id=r.ident("id"),
        caller=r.object("caller", _caller),
        opened_at=r.time("opened_at"),
        closed_at=r.time_or_none("closed_at"),
        status=r.enum("status", CallStatus),
        channel=r.enum("channel", Channel),
        urgency=r.enum("urgency", Urgency),
        consent_level=r.enum("consent_level", ConsentLevel),
        summary=r.text("summary"),
        narrative=r.text("narrative"),
        force_area=r.text("force_area"),
        where_exploited=r.enum("where_exploited", WhereExploited),
        county_lines=r.flag("county_lines"),
        suspect_may_be_victim=r.flag_added_later("suspect_may_be_victim"),
        victim_at_scene=r.flag_added_later("victim_at_scene"),
        nrm_consent=r.enum_or_none("nrm_consent", NrmConsent),
        exploitation_types=r.enum_set("exploitation_types", ExploitationType),
        indicators=r.enum_set("indicators", Indicator),
        outcomes=r.enum_set("outcomes", Outcome),
        persons=r.objects("persons", _person),
        routes=r.objects("routes", _route),
        referrals=r.objects("referrals", _referral),
        follow_ups=r.objects("follow_ups", _follow_up),
        case_id=r.ident_or_none("case_id"),
    )


def from_jsonable(obj: Mapping[str, Any]) -> CallData:
    """The ``CallData`` that :func:`to_jsonable` wrote, or :class:`ValidationError` naming each bad key."""
    if not isinstance(obj, Mapping):
        raise ValidationError([FieldError("(payload)", f"must be an object, not {_json_type(obj)}")])
    version = obj.get(FORMAT_KEY)
    if FORMAT_KEY not in obj:
        raise ValidationError([FieldError(FORMAT_KEY, "missing")])
    if isinstance(version, bool) or version != FORMAT:
        raise ValidationError(
            [FieldError(FORMAT_KEY, f"{version!r} is not a format this version reads (it reads {FORMAT})")]
        )
    errors = _Errors()
    reader = _Reader(errors, "", obj)
    reader.expect(FORMAT_KEY)
    data = _call(reader)
    reader.finish()
    if errors.items:
        raise ValidationError(errors.items)
    return data
