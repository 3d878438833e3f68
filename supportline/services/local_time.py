"""Local wall-clock times in the line's zone, made into instants without guessing.

A person books a callback for "01:30"; the line stores instants (UTC). Two nights a year the
wall clock does not name one instant. In Europe/London:

* the last Sunday of March, 01:00-01:59 never happens (the clocks go from 01:00 GMT to 02:00
  BST): such a time is refused as non-existent (:class:`NonexistentLocalTimeError`), naming the
  gap;
* the last Sunday of October, 01:00-01:59 happens twice (BST, then GMT): such a time is refused
  as ambiguous (:class:`AmbiguousLocalTimeError`) unless the caller says which one with
  ``fold`` (0: the first, in summer time; 1: the second, after the clocks went back), as
  Python's own ``datetime.fold`` means. The error carries both instants, so a screen can ask.

An aware datetime is already an instant and is taken as it is. A naive one is a local time in
``zone``. These are :class:`ValidationError`\\ s naming the field, so a form shows them at the
field and the command line prints them as refused input.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from supportline.services.errors import FieldError, ValidationError


class AmbiguousLocalTimeError(ValidationError):
    """The local time happens twice; ``choices`` are the two instants (UTC), first one first."""

    def __init__(
        self, field: str, local: datetime, choices: tuple[datetime, datetime], zone: ZoneInfo
    ) -> None:
        self.local = local
        self.choices = choices
        first, second = (c.astimezone(zone) for c in choices)
        super().__init__(
            [
                FieldError(
                    field,
                    f"{local:%H:%M} on {local:%d %B %Y} happens twice in {zone.key} (the clocks go back): "
                    f"say which, the first ({first:%H:%M %Z}, fold 0) or the second "
                    f"({second:%H:%M %Z}, fold 1)",
                )
            ]
        )


class NonexistentLocalTimeError(ValidationError):
    """The local time is skipped when the clocks go forward."""

    def __init__(self, field: str, local: datetime, zone: ZoneInfo, gap: tuple[datetime, datetime]) -> None:
        self.local = local
        last, first = (g.astimezone(zone) for g in gap)
        jumped = (last.replace(tzinfo=None) + (gap[1] - gap[0])).strftime("%H:%M")
        super().__init__(
            [
                FieldError(
                    field,
                    f"{local:%H:%M} on {local:%d %B %Y} does not exist in {zone.key}: the clocks go "
                    f"forward at {jumped} {last:%Z} to {first:%H:%M %Z}; give a time before or after",
                )
            ]
        )


def instant(value: datetime, zone: ZoneInfo, *, fold: int | None = None, field: str = "time") -> datetime:
    """``value`` as an aware UTC instant: an aware datetime as it is; a naive one as the local
    time in ``zone`` (refused when it does not exist, or when it happens twice and ``fold`` does
    not say which)."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(UTC)
    if fold not in (None, 0, 1):
        raise ValidationError([FieldError(field, "fold must be 0 (the first) or 1 (the second)")])
    wall = value.replace(tzinfo=None, fold=0)
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    a, b = first.astimezone(UTC), second.astimezone(UTC)
    # Back to the wall clock: a time in the gap comes back as another time; one in the repeated
    # hour comes back as itself, whichever fold.
    if a.astimezone(zone).replace(tzinfo=None) != wall:
        raise NonexistentLocalTimeError(field, wall, zone, _gap(wall, zone))
    choices = (min(a, b), max(a, b))
    if fold is None:
        raise AmbiguousLocalTimeError(field, wall, choices, zone)
    return choices[fold]


def _gap(wall: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instant the clocks go forward around ``wall``: (the last wall time before, the first after)."""
    moment = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    # The transition is within the few hours either side: find the offset change minute by minute
    # over a window of six hours (cheap: at most 720 steps, done only for a refused time).
    start = moment - timedelta(hours=3)
    offset = start.astimezone(zone).utcoffset()
    step = start
    while step < moment + timedelta(hours=3):
        nxt = step + timedelta(minutes=1)
        if nxt.astimezone(zone).utcoffset() != offset:
            return step, nxt
        step = nxt
    return moment, moment  # pragma: no cover - only reached for a zone without this gap


def is_ambiguous(value: datetime, zone: ZoneInfo) -> bool:
    """Whether the wall time of the instant ``value`` is one the clock shows twice in ``zone``."""
    local = value.astimezone(zone)
    other = local.replace(fold=1 - local.fold)
    return local.utcoffset() != other.utcoffset() and other.astimezone(UTC).astimezone(zone).replace(
        tzinfo=None
    ) == local.replace(tzinfo=None)


def clock(value: datetime, zone: ZoneInfo) -> str:
    """``07:00`` for people; ``01:30 GMT`` when that wall time happens twice that night."""
    local = value.astimezone(zone)
    text = f"{local:%H:%M}"
    return f"{text} {local:%Z}" if is_ambiguous(value, zone) else text


def add_local_days(value: datetime, days: int, zone: ZoneInfo) -> tuple[datetime, bool]:
    """The instant ``days`` local days after ``value`` at the same wall-clock time, and whether
    that time had to move (it does not exist on the new day: it becomes the same UTC offset's
    time, i.e. just after the gap). A time that happens twice keeps the fold it had."""
    local = value.astimezone(zone)
    wall = (local.replace(tzinfo=None) + timedelta(days=days)).replace(fold=local.fold)
    moved = wall.replace(tzinfo=zone)
    result = moved.astimezone(UTC)
    shifted = result.astimezone(zone).replace(tzinfo=None) != wall.replace(fold=0)
    return result, shifted
