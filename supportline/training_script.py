"""Scripted training calls: a fictitious scenario that walks a new operator through a call.

A scenario is a TOML file in ``resources/training/``::

    id = "car-wash"
    title = "Workers at a hand car wash"
    about = "What the trainee is about to do."

    [[step]]
    officer = "Hello, this is DC Rowan Ashdown."    # optional: what the officer says
    do = "Type the officer's name in Officer name."  # what the trainee does
    hint = "The cursor is already there."            # optional
    check = { field = "caller.name", contains = "Ashdown" }

``check`` is one condition or a list of them, all of which must hold. A condition names a
``field`` and exactly one test: ``filled = true`` (not empty), ``equals = "…"``, ``contains =
"…"`` (text, ignoring case), ``includes = "…"`` (one of a list) or ``is = true|false``.

Fields: ``form_open`` and ``saved`` (the call is saved, with nothing unsaved since); the call's
own fields by the names the service uses (``caller.name``, ``urgency``, ``summary``, ``persons.
age_group`` — across every potential victim —, ``exploitation_types`` …); ``routes_chosen``,
``routes_suggested``, ``guidance_shown`` (the ids of the guidance templates on show),
``in_guidance`` (the keyboard focus is in a guidance pane),
``ticked.<route>`` (the ids of the checklist items ticked on that route's guidance: duty
advisers and up record ticks) and ``advice.<route>`` (its advice given). A scenario with an
unknown key, field or test is refused with the file, the step and what is wrong, like a bad
guidance template.

Checks read what the form holds (:class:`CallState`), not the database: the panel that shows
the steps (``ui/views/training_panel.py``) asks after every change.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from supportline.enums import ChecklistState, Route
from supportline.services.call_types import CallData, Caller, PersonData

TESTS = ("filled", "equals", "contains", "includes", "is")
_SPECIAL = frozenset(
    {"form_open", "saved", "routes_chosen", "routes_suggested", "guidance_shown", "in_guidance"}
)
_ROUTE_FIELDS = ("ticked", "advice")
_CALL_FIELDS = frozenset(
    f.name for f in dataclasses.fields(CallData) if f.name not in {"caller", "persons", "id", "case_id"}
)
_CALLER_FIELDS = frozenset(f.name for f in dataclasses.fields(Caller))
_PERSON_FIELDS = frozenset(f.name for f in dataclasses.fields(PersonData) if f.name != "id")


class ScenarioError(ValueError):
    """A scenario file is not usable; the message names the file, the step and the problem."""


@dataclass(frozen=True)
class CallState:
    """What a check looks at: the form's call as it stands (None: no call form open)."""

    data: CallData | None
    saved: bool = False
    #: The ids of the guidance templates on show in the form's panes.
    guidance: tuple[str, ...] = ()
    #: The keyboard focus is in a guidance pane (F6 takes it there).
    in_guidance: bool = False


@dataclass(frozen=True)
class Check:
    field: str
    test: str
    expected: Any

    def holds(self, state: CallState) -> bool:
        value = value_of(self.field, state)
        if self.test == "filled":
            return bool(value) == bool(self.expected)
        if self.test == "is":
            return value is self.expected
        if self.test == "includes":
            return isinstance(value, list) and _fold(self.expected) in [_fold(v) for v in value]
        texts = value if isinstance(value, list) else [value]
        wanted = _fold(self.expected)
        if self.test == "equals":
            return any(_fold(v) == wanted for v in texts)
        return any(wanted in _fold(v) for v in texts)  # contains


@dataclass(frozen=True)
class Step:
    number: int
    do: str
    checks: tuple[Check, ...]
    officer: str = ""
    hint: str = ""

    def done(self, state: CallState) -> bool:
        return all(check.holds(state) for check in self.checks)


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    about: str
    steps: tuple[Step, ...]
    path: Path


def _fold(value: Any) -> str:
    return str(value).strip().casefold()


def _plain(value: Any) -> Any:
    """Enumerations as their stored values; sets and tuples as lists (sorted where unordered)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def value_of(name: str, state: CallState) -> Any:
    """The value of field ``name`` in ``state`` (see the module's documentation)."""
    if name == "form_open":
        return state.data is not None
    if name == "saved":
        return state.data is not None and state.saved
    data = state.data
    if data is None:
        return None
    if name == "guidance_shown":
        return list(state.guidance)
    if name == "in_guidance":
        return state.data is not None and state.in_guidance
    if name == "routes_chosen":
        return [r.route.value for r in data.routes if r.chosen]
    if name == "routes_suggested":
        return [r.route.value for r in data.routes if r.suggested]
    head, _, rest = name.partition(".")
    if head in _ROUTE_FIELDS:
        route = next((r for r in data.routes if r.route.value == rest), None)
        if route is None:
            return [] if head == "ticked" else ""
        if head == "ticked":
            return [e.item_id for e in route.checklist if e.state is ChecklistState.TICKED]
        return route.advice_summary
    if head == "caller":
        return _plain(getattr(data.caller, rest))
    if head == "persons":
        values: list[Any] = []
        for person in data.persons:
            value = _plain(getattr(person, rest))
            values.extend(value if isinstance(value, list) else [value])
        return values
    return _plain(getattr(data, name))


def _known_field(name: str) -> bool:
    head, dot, rest = name.partition(".")
    if not dot:
        return name in _SPECIAL or name in _CALL_FIELDS
    if head in _ROUTE_FIELDS:
        return rest in {r.value for r in Route}
    if head == "caller":
        return rest in _CALLER_FIELDS
    if head == "persons":
        return rest in _PERSON_FIELDS
    return False


def _check(where: str, raw: Any) -> Check:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: a check is a table such as {{ field = …, contains = … }}")
    unknown = sorted(set(raw) - {"field", *TESTS})
    if unknown:
        raise ScenarioError(f"{where}: unknown key {unknown[0]!r} in a check (tests: {', '.join(TESTS)})")
    field = raw.get("field")
    if not isinstance(field, str) or not _known_field(field):
        raise ScenarioError(f"{where}: {field!r} is not a field a check can read")
    tests = [t for t in TESTS if t in raw]
    if len(tests) != 1:
        raise ScenarioError(f"{where}: a check on {field} needs exactly one test ({', '.join(TESTS)})")
    test = tests[0]
    expected = raw[test]
    if test in ("filled", "is") and not isinstance(expected, bool):
        raise ScenarioError(f"{where}: {test} must be true or false")
    if test in ("equals", "contains", "includes") and not isinstance(expected, str | int):
        raise ScenarioError(f"{where}: {test} must be text")
    return Check(field, test, expected)


def _text(where: str, raw: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ScenarioError(f"{where}: {key!r} must be {'non-empty ' if required else ''}text")
    return value.strip()


def parse_scenario(text: str, path: Path) -> Scenario:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from exc
    unknown = sorted(set(raw) - {"id", "title", "about", "step"})
    if unknown:
        raise ScenarioError(f"{path}: unknown key {unknown[0]!r}")
    steps_raw = raw.get("step")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise ScenarioError(f"{path}: a scenario needs at least one [[step]]")
    steps: list[Step] = []
    for number, step in enumerate(steps_raw, 1):
        where = f"{path}: step {number}"
        if not isinstance(step, dict):
            raise ScenarioError(f"{where}: a step is a table")
        extra = sorted(set(step) - {"officer", "do", "hint", "check"})
        if extra:
            raise ScenarioError(f"{where}: unknown key {extra[0]!r}")
        checks = step.get("check")
        if checks is None:
            raise ScenarioError(f"{where}: a step needs a check (what shows it was done)")
        listed = checks if isinstance(checks, list) else [checks]
        steps.append(
            Step(
                number=number,
                do=_text(where, step, "do"),
                checks=tuple(_check(where, c) for c in listed),
                officer=_text(where, step, "officer", required=False),
                hint=_text(where, step, "hint", required=False),
            )
        )
    return Scenario(
        id=_text(str(path), raw, "id"),
        title=_text(str(path), raw, "title"),
        about=_text(str(path), raw, "about", required=False),
        steps=tuple(steps),
        path=path,
    )


def load_scenarios(folder: Path | None = None) -> list[Scenario]:
    """Every ``*.toml`` scenario in ``folder`` (default: the shipped ``resources/training``), by title."""
    if folder is None:
        from supportline.resources import resource_path

        folder = resource_path("training")
    found = [parse_scenario(p.read_text(encoding="utf-8"), p) for p in sorted(folder.glob("*.toml"))]
    return sorted(found, key=lambda s: s.title)


def first_undone(scenario: Scenario, state: CallState, start: int = 0) -> int:
    """The index of the first step from ``start`` not yet done (``len(steps)``: all done)."""
    steps: Iterable[Step] = scenario.steps[start:]
    for offset, step in enumerate(steps):
        if not step.done(state):
            return start + offset
    return len(scenario.steps)
