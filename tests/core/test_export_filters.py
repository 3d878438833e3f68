"""The filters every export shares (issue 5): exploitation type and outcome in ``CallQuery``, the
CLI's filter options, and the service's checks of a request. Both dialects; invented data only."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from supportline.db import Database
from supportline.enums import AgencyType, ExploitationType, Outcome, Role
from supportline.exports import figures, service
from supportline.exports.common import (
    ExportOptions,
    count_matching,
    filter_words,
    iter_records,
    query_filters,
)
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, CallQuery
from supportline.services.calls import save_call
from supportline.services.errors import ValidationError
from tests.conftest import Run
from tests.core.test_export_csv import PURPOSE, read_dicts
from tests.factories import PASSWORD, full_call, make_admin, make_user

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _call(i: int, **changes: object) -> CallData:
    return dataclasses.replace(full_call(START + timedelta(hours=i)), **changes)  # type: ignore[arg-type]


@pytest.fixture
def admin(db: Database) -> Actor:
    return make_admin(db)


@pytest.fixture
def calls(db: Database, admin: Actor) -> list[CallData]:
    made = [
        _call(0, exploitation_types=frozenset({ExploitationType.SEXUAL}), outcomes=frozenset()),
        _call(
            1,
            exploitation_types=frozenset({ExploitationType.SEXUAL, ExploitationType.LABOUR}),
            outcomes=frozenset({Outcome.NOT_MODERN_SLAVERY}),
        ),
        _call(
            2,
            exploitation_types=frozenset(),
            outcomes=frozenset({Outcome.NRM_MADE, Outcome.NOT_MODERN_SLAVERY}),
        ),
    ]
    return [save_call(db, admin, data).data for data in made]


def _ids(db: Database, query: CallQuery) -> list[str]:
    return [str(r.id) for r in iter_records(db, query)]


def test_exploitation_type_and_outcome_filters(db: Database, calls: list[CallData]) -> None:
    first, second, third = (str(c.id) for c in calls)
    sexual = CallQuery(exploitation_type=ExploitationType.SEXUAL)
    assert _ids(db, sexual) == [first, second] and count_matching(db, sexual) == 2
    assert _ids(db, CallQuery(exploitation_type=ExploitationType.LABOUR)) == [second]
    assert _ids(db, CallQuery(exploitation_type=ExploitationType.ORGAN_HARVESTING)) == []
    # "Unknown" is what the figures count there: recorded as unknown, or no type recorded at all.
    assert _ids(db, CallQuery(exploitation_type=ExploitationType.UNKNOWN)) == [third]
    nms = CallQuery(outcome=Outcome.NOT_MODERN_SLAVERY)
    assert _ids(db, nms) == [second, third] and count_matching(db, nms) == 2
    both = CallQuery(outcome=Outcome.NOT_MODERN_SLAVERY, exploitation_type=ExploitationType.SEXUAL)
    assert _ids(db, both) == [second]
    assert query_filters(both) == {"exploitation_type": "sexual", "outcome": "not_modern_slavery"}


def test_hour_of_day_filter_is_local_time_across_clock_changes(db: Database, admin: Actor) -> None:
    """The call list's hour of the day is the line's local hour, which the figures count too."""
    times = [
        datetime(2026, 3, 28, 9, 30, tzinfo=UTC),  # GMT: 09:30 local
        datetime(2026, 3, 29, 8, 30, tzinfo=UTC),  # BST from 01:00 UTC that day: 09:30 local
        datetime(2026, 3, 29, 9, 30, tzinfo=UTC),  # 10:30 local
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 01:30 BST, the first of the day's two 01:30s
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 01:30 GMT, the second
        datetime(2026, 10, 25, 2, 30, tzinfo=UTC),  # 02:30 GMT
    ]
    saved = [save_call(db, admin, full_call(at)).data for at in times]
    zone = ZoneInfo("Europe/London")
    assert db.zone == zone
    computed = figures.compute(db, CallQuery())
    for hour in range(24):
        expected = [str(c.id) for c in saved if c.opened_at.astimezone(zone).hour == hour]
        query = CallQuery(opened_hour=hour)
        assert _ids(db, query) == expected, hour
        assert count_matching(db, query) == len(expected) == computed.calls_per_hour[hour]
    assert len(_ids(db, CallQuery(opened_hour=9))) == 2 and len(_ids(db, CallQuery(opened_hour=1))) == 2
    # With a search and a period, as the dashboard's bars ask.
    march = CallQuery(opened_hour=9, text="Tregarthen", opened_from=times[0], opened_to=times[2])
    assert _ids(db, march) == [str(saved[0].id), str(saved[1].id)]
    assert query_filters(CallQuery(opened_hour=9)) == {"opened_hour": "9"}
    assert "Opened between 09:00 and 09:59 (local time)" in filter_words(CallQuery(opened_hour=9))
    with pytest.raises(ValueError, match="0-23"):
        count_matching(db, CallQuery(opened_hour=24))


def test_the_service_names_every_problem_of_a_request(db: Database, admin: Actor, tmp_path: Path) -> None:
    target = tmp_path / "x.out"
    with pytest.raises(ValidationError) as caught:
        service.export(
            db, admin, format="docx", query=CallQuery(), profile="everything", path=target, purpose=" ",
            options=ExportOptions(marking="\n"),
        )  # fmt: skip
    fields = sorted(e.field for e in caught.value.errors)
    assert fields == ["format", "marking", "profile", "purpose"]
    assert not target.exists()


def test_cli_filter_options(run: Run, cli_db: Database, tmp_path: Path) -> None:
    admin = make_admin(cli_db)
    sam = make_user(cli_db, admin, "sam.supervisor", Role.SUPERVISOR)
    kent = save_call(cli_db, admin, _call(0, force_area="Kent Police")).data
    ngo_caller = dataclasses.replace(full_call().caller, agency_type=AgencyType.NGO)
    ngo = save_call(cli_db, sam, _call(1, caller=ngo_caller, exploitation_types=frozenset())).data
    out = tmp_path / "calls.csv"
    base = ("export", "--from", "2026-03-02", "--to", "2026-03-02", "--purpose", PURPOSE,
            "--output", str(out), "--user", "ada.admin", "--password-stdin")  # fmt: skip

    def exported(*filters: str) -> list[str]:
        result = run(*base, *filters, stdin=f"{PASSWORD}\n")
        assert result.code == 0, result.err
        return [row["id"] for row in read_dicts(out)]

    assert exported() == [str(kent.id), str(ngo.id)]
    assert exported("--force", "Kent Police") == [str(kent.id)]
    assert exported("--agency", "ngo") == [str(ngo.id)]
    assert exported("--handler", "sam.supervisor") == [str(ngo.id)]
    assert exported("--handler", "ADA.admin") == [str(kent.id)]
    assert exported("--exploitation-type", "labour") == [str(kent.id)]
    assert exported("--outcome", "nrm_advised") == [str(kent.id), str(ngo.id)]
    assert exported("--hour", "10") == [str(ngo.id)]  # 10:00 UTC is 10:00 in London in March
    for bad in ("24", "-1", "ten"):
        refused = run(*base, "--hour", bad, stdin=f"{PASSWORD}\n")
        assert refused.code == 2 and "hour of the day (0-23)" in refused.err
    unknown = run(*base, "--handler", "nobody.here", stdin=f"{PASSWORD}\n")
    assert unknown.code == 2 and "no user 'nobody.here'" in unknown.err
    appendix = run(*base, "--appendix", stdin=f"{PASSWORD}\n")
    assert appendix.code == 2 and "--format pdf" in appendix.err
