"""A potential victim's age: the age as given or a date of birth, and what it says about the
age group the figures count.

NRM figures count people by age group at exploitation, adult or child, and count an age-disputed
person as a child (``exports.figures``: ``CASE WHEN age_disputed THEN child ELSE age_group``). An
age under 18 now means the person was a child when exploited, so when the age (or the age a date
of birth gives on the day of the call) is under 18 an unknown age group becomes ``child``, and
``adult`` is refused unless the age is disputed (then it is counted as a child anyway). An age of
18 or more says nothing for certain (the exploitation may have been years ago), so it changes
nothing. Used by ``call_validation`` when a call is saved and by the form as the person types.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Final

from supportline.enums import AgeGroup
from supportline.services.call_types import PersonData

MAX_AGE: Final = 120
EARLIEST_BIRTH: Final = date(1900, 1, 1)
ADULT_AGE: Final = 18


class AgeTextError(ValueError):
    """What is wrong with an age typed in the form, in words for the person who typed it."""


def age_on(born: date, day: date) -> int:
    """Whole years from ``born`` to ``day`` (a 29 February birthday counts on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def known_age(person: PersonData, day: date) -> int | None:
    """The age as given, else the age the date of birth gives on ``day``; None when neither."""
    if person.age_years is not None:
        return person.age_years
    if person.date_of_birth is not None:
        return age_on(person.date_of_birth, day)
    return None


def counts_as_child(person: PersonData, day: date) -> bool:
    """The figures' rule, with the age: a child, age disputed, or under 18."""
    age = known_age(person, day)
    return person.age_group is AgeGroup.CHILD or person.age_disputed or (age is not None and age < ADULT_AGE)


def suggested_group(person: PersonData, day: date) -> AgeGroup:
    """The age group the age makes it: child under 18; otherwise as recorded."""
    age = known_age(person, day)
    if age is not None and age < ADULT_AGE and person.age_group is AgeGroup.UNKNOWN:
        return AgeGroup.CHILD
    return person.age_group


def checked(
    fail: Callable[[str, str], None], path: str, person: PersonData, opened: datetime | None
) -> PersonData:
    """``person`` with its age checked (every problem passed to ``fail(path, message)``) and an
    unknown age group made child by an age under 18."""
    day = (opened or datetime.now()).date()  # only a fallback when opened_at is bad
    age, born = person.age_years, person.date_of_birth
    if age is not None and (isinstance(age, bool) or not isinstance(age, int)):
        fail(f"{path}.age_years", "must be a whole number of years")
        return dataclasses.replace(person, age_years=None)
    if age is not None and not 0 <= age <= MAX_AGE:
        fail(f"{path}.age_years", f"must be between 0 and {MAX_AGE} years")
        return person
    if born is not None and (not isinstance(born, date) or isinstance(born, datetime)):
        fail(f"{path}.date_of_birth", "must be a date")
        return dataclasses.replace(person, date_of_birth=None)
    if born is not None and born > day:
        fail(f"{path}.date_of_birth", "is after the day of the call")
        return person
    if born is not None and born < EARLIEST_BIRTH:
        fail(f"{path}.date_of_birth", f"is before {EARLIEST_BIRTH:%d %B %Y}")
        return person
    if age is not None and born is not None and age_on(born, day) != age:
        fail(f"{path}.age_years", f"does not match the date of birth (which makes {age_on(born, day)})")
        return person
    now = known_age(person, day)
    if now is not None and now < ADULT_AGE and person.age_group is AgeGroup.ADULT and not person.age_disputed:
        fail(
            f"{path}.age_group",
            f"is adult but the age is {now}: choose child, or tick age disputed",
        )
        return person
    return dataclasses.replace(person, age_group=suggested_group(person, day))


_DATE_FORMATS: Final = (
    re.compile(r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})$"),  # 15/03/2011 (UK order)
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),  # 2011-03-15
)


def parse_age_text(text: str) -> tuple[int | None, date | None]:
    """What an operator types in the age field: "15" (years), "15/03/2011" or "2011-03-15" (a
    date of birth), or nothing. ``AgeTextError`` says what is wrong otherwise."""
    text = text.strip()
    if not text:
        return None, None
    if text.isdigit():
        years = int(text)
        if years > MAX_AGE:
            raise AgeTextError(f"an age must be between 0 and {MAX_AGE} years")
        return years, None
    for pattern in _DATE_FORMATS:
        found = pattern.match(text)
        if found:
            try:
                return None, date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                raise AgeTextError(f"{text} is not a date") from None
    raise AgeTextError("type an age in years (e.g. 15) or a date of birth (e.g. 15/03/2011)")


def age_text(person: PersonData) -> str:
    """What the age field shows for ``person``."""
    if person.date_of_birth is not None:
        return f"{person.date_of_birth:%d/%m/%Y}"
    return "" if person.age_years is None else str(person.age_years)
