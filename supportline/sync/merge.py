"""Their save and yours, field by field: what differs, and the call made of your choices.

A save refused with ``ConflictError`` carries *their* record (as stored). With *base* (what the
editor opened) the difference is three-way: a field only they changed defaults to theirs, a field
only you changed to yours, a field you both changed is marked and defaults to yours (what you
typed is never dropped unless you choose so). Nothing here touches the database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from supportline.services.call_types import CallData, Caller
from supportline.services.call_validation import validate_call
from supportline.services.errors import ValidationError

Side = Literal["theirs", "yours"]

#: The fields as the form names them; caller details one by one.
LABELS: dict[str, str] = {
    "caller.name": "Caller's name",
    "caller.agency_type": "Caller's agency",
    "caller.rank": "Caller's rank",
    "caller.organisation": "Caller's organisation",
    "caller.collar_number": "Collar number",
    "caller.phone": "Caller's phone",
    "caller.email": "Caller's email",
    "opened_at": "Opened",
    "closed_at": "Closed",
    "status": "Status",
    "channel": "Channel",
    "urgency": "Urgency",
    "consent_level": "Consent",
    "summary": "Short summary",
    "narrative": "Narrative",
    "force_area": "Force area",
    "where_exploited": "Where exploited",
    "county_lines": "County lines",
    "suspect_may_be_victim": "Suspect may be a victim",
    "victim_at_scene": "Victim at the scene",
    "nrm_consent": "NRM consent",
    "exploitation_types": "Exploitation types",
    "indicators": "Indicators",
    "outcomes": "Outcomes",
    "persons": "Potential victims",
    "routes": "Advice routes and checklists",
    "referrals": "Referrals",
    "follow_ups": "Follow-ups",
    "case_id": "Case",
}
_NOT_COMPARED = {"id", "caller"}


@dataclass(frozen=True)
class FieldDiff:
    key: str  # "summary", "caller.phone"
    label: str
    base: Any
    theirs: Any
    yours: Any

    @property
    def they_changed(self) -> bool:
        return bool(self.theirs != self.base)

    @property
    def you_changed(self) -> bool:
        return bool(self.yours != self.base)

    @property
    def both_changed(self) -> bool:
        return self.they_changed and self.you_changed

    @property
    def default(self) -> Side:
        """Theirs where only they changed it; yours otherwise (what you typed is kept)."""
        return "theirs" if self.they_changed and not self.you_changed else "yours"


def keys() -> list[str]:
    top = [f.name for f in dataclasses.fields(CallData) if f.name not in _NOT_COMPARED]
    return [f"caller.{f.name}" for f in dataclasses.fields(Caller)] + top


def value_of(data: CallData, key: str) -> Any:
    if key.startswith("caller."):
        return getattr(data.caller, key.removeprefix("caller."))
    return getattr(data, key)


def normalised(data: CallData) -> CallData:
    """``data`` as the service would store it (e.g. the phone number as +44…), so a difference
    of spelling only is no difference; as it is if it does not validate."""
    try:
        return validate_call(data)
    except ValidationError:
        return data


def differences(base: CallData, theirs: CallData, yours: CallData) -> list[FieldDiff]:
    """Every field where their save and yours differ, in the form's order (``yours`` is
    compared :func:`normalised`)."""
    yours = normalised(yours)
    found = []
    for key in keys():
        b, t, y = value_of(base, key), value_of(theirs, key), value_of(yours, key)
        if t != y:
            found.append(FieldDiff(key, LABELS.get(key, key), b, t, y))
    return found


def merge(theirs: CallData, yours: CallData, choices: Mapping[str, Side]) -> CallData:
    """Their call with each field ``choices`` gives as "yours" taken from yours (the call's id is
    the same in both)."""
    unknown = set(choices) - set(keys())
    if unknown:
        raise ValueError(f"not fields of a call: {', '.join(sorted(unknown))}")
    caller_changes = {
        k.removeprefix("caller."): value_of(yours, k)
        for k, side in choices.items()
        if side == "yours" and k.startswith("caller.")
    }
    top_changes = {k: value_of(yours, k) for k, side in choices.items() if side == "yours" and "." not in k}
    caller = dataclasses.replace(theirs.caller, **caller_changes)
    return dataclasses.replace(theirs, caller=caller, **top_changes)


def describe(value: Any, zone: ZoneInfo | None = None) -> str:
    """A value for people (never a repr): labels, local times, lists one item a line."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Enum):
        label = getattr(value, "label", None)
        return str(label) if label is not None else str(value.value)
    if isinstance(value, datetime):
        local = value.astimezone(zone) if zone is not None else value
        return f"{local:%d %b %Y %H:%M}"
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(describe(v, zone) for v in value)) or "—"
    if isinstance(value, tuple):
        if not value:
            return "—"
        return "\n".join(f"{n}. {_describe_item(item, zone)}" for n, item in enumerate(value, 1))
    return str(value)


def _describe_item(item: Any, zone: ZoneInfo | None) -> str:
    if not dataclasses.is_dataclass(item) or isinstance(item, type):
        return describe(item, zone)
    parts = []
    for f in dataclasses.fields(item):
        value = getattr(item, f.name)
        if f.name == "id" or value in (None, "", (), frozenset(), False):
            continue
        parts.append(f"{f.name.replace('_', ' ')}: {describe(value, zone)}".replace("\n", "; "))
    return ", ".join(parts) or "(empty)"
