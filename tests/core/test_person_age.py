"""A potential victim's age (issue 11): the age as given or a date of birth beside the age group,
stored and read back on both databases, checked when saved, and an age under 18 counted as a
child as the figures count (``age_disputed`` → child, else the age group)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from supportline.db import Database
from supportline.enums import AgeGroup, Sex
from supportline.services import calls, person_age
from supportline.services.call_types import CallData, PersonData
from supportline.services.call_validation import validate_call
from supportline.services.errors import ValidationError
from tests.factories import full_call, make_admin

OPENED = datetime(2026, 6, 14, 2, 17, 31, tzinfo=UTC)


def _with(person: PersonData) -> CallData:
    return dataclasses.replace(full_call(OPENED), persons=(person,))


def _errors(person: PersonData) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        validate_call(_with(person))
    return {e.field: e.message for e in caught.value.errors}


def test_an_age_and_a_date_of_birth_are_stored_and_read_back(db: Database) -> None:
    admin = make_admin(db)
    people = (
        PersonData(age_group=AgeGroup.CHILD, sex=Sex.MALE, age_years=15),
        PersonData(age_group=AgeGroup.ADULT, date_of_birth=date(1990, 2, 28)),
        PersonData(),
    )
    saved = calls.save_call(db, admin, dataclasses.replace(full_call(OPENED), persons=people))
    stored = calls.get_call(db, admin, saved.id).data.persons
    assert [(p.age_years, p.date_of_birth) for p in stored] == [
        (15, None),
        (None, date(1990, 2, 28)),
        (None, None),
    ]


def test_an_age_under_18_makes_an_unknown_age_group_child() -> None:
    checked = validate_call(_with(PersonData(age_years=15)))
    assert checked.persons[0].age_group is AgeGroup.CHILD
    # A date of birth gives the age on the day of the call: 17 the day before the birthday.
    checked = validate_call(_with(PersonData(date_of_birth=date(2008, 6, 15))))
    assert checked.persons[0].age_group is AgeGroup.CHILD
    checked = validate_call(_with(PersonData(date_of_birth=date(2008, 6, 14))))
    assert checked.persons[0].age_group is AgeGroup.UNKNOWN  # 18 that day: says nothing for certain
    # 18 or more says nothing about the age when exploited.
    assert validate_call(_with(PersonData(age_years=19))).persons[0].age_group is AgeGroup.UNKNOWN
    assert validate_call(_with(PersonData(age_group=AgeGroup.CHILD, age_years=19))).persons[0].age_group is (
        AgeGroup.CHILD
    )


def test_an_adult_aged_under_18_is_refused_unless_the_age_is_disputed() -> None:
    errors = _errors(PersonData(age_group=AgeGroup.ADULT, age_years=15))
    assert errors == {
        "persons[0].age_group": "is adult but the age is 15: choose child, or tick age disputed"
    }
    disputed = PersonData(age_group=AgeGroup.ADULT, age_years=15, age_disputed=True)
    assert validate_call(_with(disputed)).persons[0].age_group is AgeGroup.ADULT  # counted as a child
    assert person_age.counts_as_child(disputed, OPENED.date())


@pytest.mark.parametrize(
    ("person", "field", "message"),
    [
        (PersonData(age_years=121), "persons[0].age_years", "must be between 0 and 120 years"),
        (PersonData(age_years=-1), "persons[0].age_years", "must be between 0 and 120 years"),
        (
            PersonData(date_of_birth=date(2026, 6, 15)),
            "persons[0].date_of_birth",
            "is after the day of the call",
        ),
        (
            PersonData(date_of_birth=date(1899, 12, 31)),
            "persons[0].date_of_birth",
            "is before 01 January 1900",
        ),
        (
            PersonData(age_years=30, date_of_birth=date(2011, 3, 15)),
            "persons[0].age_years",
            "does not match the date of birth (which makes 15)",
        ),
    ],
)
def test_a_bad_age_is_named(person: PersonData, field: str, message: str) -> None:
    assert _errors(person) == {field: message}


def test_what_an_operator_types_in_the_age_field() -> None:
    assert person_age.parse_age_text("") == (None, None)
    assert person_age.parse_age_text(" 15 ") == (15, None)
    assert person_age.parse_age_text("15/03/2011") == (None, date(2011, 3, 15))
    assert person_age.parse_age_text("2011-03-15") == (None, date(2011, 3, 15))
    for bad, message in (
        ("fifteen", "type an age in years (e.g. 15) or a date of birth (e.g. 15/03/2011)"),
        ("31/02/2011", "31/02/2011 is not a date"),
        ("130", "an age must be between 0 and 120 years"),
    ):
        with pytest.raises(person_age.AgeTextError, match=message.replace("(", r"\(").replace(")", r"\)")):
            person_age.parse_age_text(bad)
    assert person_age.age_text(PersonData(age_years=15)) == "15"
    assert person_age.age_text(PersonData(date_of_birth=date(2011, 3, 15))) == "15/03/2011"
    assert person_age.age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert person_age.age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18
