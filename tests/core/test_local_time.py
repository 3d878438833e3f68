"""Local wall-clock times in Europe/London made into instants (issue 14): no guessing on the two
nights a year the clock does not name one instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from supportline.services import local_time
from supportline.services.errors import ValidationError

LONDON = ZoneInfo("Europe/London")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        (datetime(2026, 1, 15, 0, 0), utc(2026, 1, 15, 0, 0)),  # GMT
        (datetime(2026, 7, 15, 0, 0), utc(2026, 7, 14, 23, 0)),  # BST: midnight is 23:00 UTC
        (datetime(2026, 7, 15, 23, 59), utc(2026, 7, 15, 22, 59)),
        (datetime(2026, 3, 29, 0, 59), utc(2026, 3, 29, 0, 59)),  # the last minute before the gap
        (datetime(2026, 3, 29, 2, 0), utc(2026, 3, 29, 1, 0)),  # the first after it
        (datetime(2026, 10, 25, 0, 59), utc(2026, 10, 24, 23, 59)),  # before the repeated hour
        (datetime(2026, 10, 25, 2, 0), utc(2026, 10, 25, 2, 0)),  # after it
    ],
)
def test_a_wall_time_that_names_one_instant(wall: datetime, expected: datetime) -> None:
    assert local_time.instant(wall, LONDON) == expected


def test_the_march_gap_is_refused_and_the_october_hour_needs_a_fold() -> None:
    for minute in (0, 30, 59):
        with pytest.raises(local_time.NonexistentLocalTimeError):
            local_time.instant(datetime(2026, 3, 29, 1, minute), LONDON, field="due_at")
        with pytest.raises(local_time.AmbiguousLocalTimeError) as info:
            local_time.instant(datetime(2026, 10, 25, 1, minute), LONDON, field="due_at")
        first, second = info.value.choices
        assert second - first == timedelta(hours=1)
        assert local_time.instant(datetime(2026, 10, 25, 1, minute), LONDON, fold=0) == first
        assert local_time.instant(datetime(2026, 10, 25, 1, minute), LONDON, fold=1) == second
    with pytest.raises(ValidationError, match="fold must be 0"):
        local_time.instant(datetime(2026, 10, 25, 1, 30), LONDON, fold=2)
    # A fold changes nothing where the time is not repeated.
    assert local_time.instant(datetime(2026, 6, 1, 1, 30), LONDON, fold=1) == utc(2026, 6, 1, 0, 30)


def test_an_aware_time_is_the_instant_it_names() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert local_time.instant(datetime(2026, 10, 25, 3, 30, tzinfo=plus_two), LONDON) == utc(
        2026, 10, 25, 1, 30
    )


def test_shown_times_name_the_zone_only_when_the_wall_time_happens_twice() -> None:
    assert local_time.clock(utc(2026, 10, 25, 0, 30), LONDON) == "01:30 BST"
    assert local_time.clock(utc(2026, 10, 25, 1, 30), LONDON) == "01:30 GMT"
    assert local_time.clock(utc(2026, 10, 25, 2, 30), LONDON) == "02:30"
    assert local_time.clock(utc(2026, 6, 1, 12), LONDON) == "13:00"


def test_a_week_on_at_the_same_wall_clock_time() -> None:
    # 07:00 BST a week before the change is 07:00 GMT a week after: an hour later in UTC.
    assert local_time.add_local_days(utc(2026, 10, 19, 6), 7, LONDON) == (utc(2026, 10, 26, 7), False)
    # 01:30 on 22 March is skipped on the 29th: the copy is moved to just after the gap.
    assert local_time.add_local_days(utc(2026, 3, 22, 1, 30), 7, LONDON) == (utc(2026, 3, 29, 1, 30), True)
    # The second 01:30 of 25 October a week back is an ordinary 01:30 GMT.
    assert local_time.add_local_days(utc(2026, 10, 25, 1, 30), -7, LONDON) == (
        utc(2026, 10, 18, 0, 30),
        False,
    )
