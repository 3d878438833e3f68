"""The training database (issue 16, item 3): its own marked file of demo calls, and every way of
pointing training mode at live data refused."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from supportline import training
from supportline.bootstrap import Environment, load_environment, open_database
from supportline.db import DatabaseUnavailableError, create_database
from supportline.db.models import AuditEvent, Call
from supportline.enums import Route
from supportline.services import accounts
from supportline.training import (
    TRAINING_PASSWORD,
    TrainingRefusedError,
    check_training_url,
    create_training_database,
    is_training_file,
    open_training_database,
    training_path,
)
from tests.conftest import PG_URL
from tests.factories import make_admin


@pytest.fixture
def env() -> Environment:
    return load_environment()


def _count(path: Path, model: type) -> int:
    db = create_database(f"sqlite:///{path}")
    try:
        with db.read() as session:
            return session.scalar(select(func.count()).select_from(model)) or 0
    finally:
        db.dispose()


def test_a_new_training_database_is_marked_and_holds_demo_calls_and_accounts(env: Environment) -> None:
    summary = create_training_database(env, calls=20)
    assert summary.path == env.paths.data_dir / "training.db" and summary.calls == 20
    assert is_training_file(summary.path)
    assert not env.paths.default_database.exists()  # the live database is not made on the way
    assert _count(summary.path, Call) == 20
    db = open_training_database(env)
    try:
        assert db.training and db.describe().startswith("TRAINING SQLite")
        actor = accounts.authenticate(db, "demo-operator", TRAINING_PASSWORD)
        assert actor.username == "demo-operator"
    finally:
        db.dispose()
    assert not [p for p in env.paths.data_dir.iterdir() if p.name.startswith(".training-new")]


def test_opening_makes_one_if_there_is_none_and_keeps_it_afterwards(env: Environment) -> None:
    db = open_training_database(env)
    db.dispose()
    first = training_path(env.paths).stat().st_ino
    again = create_training_database(env)  # no replace: kept as it is
    assert again.calls == 0 and training_path(env.paths).stat().st_ino == first


def test_a_reset_replaces_the_file_with_a_fresh_one(env: Environment) -> None:
    create_training_database(env, calls=5)
    db = open_training_database(env)
    actor = accounts.authenticate(db, "demo-admin", TRAINING_PASSWORD)
    accounts.create_user(db, actor, "trainee.one", "Trainee One", "operator", "a-practice-password-1")
    db.dispose()
    create_training_database(env, replace=True, calls=7)
    assert _count(training_path(env.paths), Call) == 7
    db = open_training_database(env)
    try:
        with pytest.raises(accounts.AuthenticationError):
            accounts.authenticate(db, "trainee.one", "a-practice-password-1")
    finally:
        db.dispose()


def test_a_reset_removes_training_drafts_kept_on_this_computer_and_keeps_the_live_ones(
    env: Environment,
) -> None:
    from supportline.sync.local_store import connect, local_file

    create_training_database(env, calls=3)
    live, trainee = local_file(env.paths.data_dir), local_file(env.paths.data_dir, training=True)
    assert live != trainee and live.parent == trainee.parent == env.paths.data_dir
    for path in (live, trainee):
        with connect(path, "CREATE TABLE IF NOT EXISTS kept (x TEXT);") as conn:
            conn.execute("INSERT INTO kept VALUES ('a draft')")
    before = live.read_bytes()
    create_training_database(env, replace=True, calls=3)
    assert not trainee.exists()
    assert live.read_bytes() == before


def test_a_failed_build_leaves_the_old_training_file_and_no_half_made_one(
    env: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_training_database(env, calls=3)
    before = training_path(env.paths).read_bytes()

    def fail(*_a: object, **_k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("supportline.services.demo.generate_demo", fail)
    with pytest.raises(OSError, match="disk full"):
        create_training_database(env, replace=True)
    assert training_path(env.paths).read_bytes() == before
    assert [p.name for p in env.paths.data_dir.iterdir() if "training-new" in p.name] == []


def test_a_shared_database_is_refused_by_name_and_by_the_engine(env: Environment) -> None:
    live = make_url(PG_URL)
    with pytest.raises(TrainingRefusedError, match="never opens a postgresql database"):
        check_training_url(live, live)
    with pytest.raises(DatabaseUnavailableError, match="never a shared database"):
        create_database(PG_URL, training=True)


def test_the_live_file_is_refused_by_its_path_or_another_name_for_it(tmp_path: Path) -> None:
    live_path = tmp_path / "live.db"
    live = make_url(f"sqlite:///{live_path}")
    db = create_database(live)
    db.dispose()
    with pytest.raises(TrainingRefusedError, match="is the live database"):
        check_training_url(make_url(f"sqlite:///{tmp_path}/./live.db"), live)
    os.link(live_path, tmp_path / "another-name.db")
    with pytest.raises(TrainingRefusedError, match="is the live database"):
        check_training_url(make_url(f"sqlite:///{tmp_path}/another-name.db"), live)
    for url in ("sqlite://", "sqlite:///:memory:"):
        with pytest.raises(TrainingRefusedError, match="only its own training file"):
            check_training_url(make_url(url), live)


def test_the_live_database_put_where_the_training_file_goes_is_neither_opened_nor_replaced(
    env: Environment,
) -> None:
    live = open_database(env)
    from supportline.db.migrate import upgrade

    upgrade(live)
    make_admin(live)
    live.dispose()
    path = training_path(env.paths)
    shutil.copyfile(env.paths.default_database, path)  # a copy of live data, by mistake
    before = path.read_bytes()
    events = _count(path, AuditEvent)
    with pytest.raises(TrainingRefusedError, match="is not a training database"):
        open_training_database(env)
    with pytest.raises(TrainingRefusedError, match="is not a training database"):
        create_training_database(env, replace=True)
    assert path.read_bytes() == before and _count(path, AuditEvent) == events


def test_training_mode_never_reads_the_database_url_setting(env: Environment) -> None:
    """A workstation on the shared database trains on its own local file all the same."""
    shared = Environment(env.paths, dataclasses.replace(env.settings, database_url=PG_URL))
    db = open_training_database(shared)
    try:
        assert db.is_sqlite and db.training
        assert Path(db.url.database or "") == training_path(env.paths)
    finally:
        db.dispose()
    assert training.TRAINING_BANNER.startswith("TRAINING")


# --- scripted training calls ----------------------------------------------------------------------


def test_the_shipped_scenario_loads_and_its_steps_read_the_call() -> None:
    from datetime import UTC, datetime

    from supportline.enums import AgeGroup, AgencyType, Urgency
    from supportline.services.call_types import CallData, Caller, PersonData, RouteData
    from supportline.training_script import CallState, first_undone, load_scenarios

    [scenario] = load_scenarios()
    assert scenario.id == "car-wash" and len(scenario.steps) == 10
    assert first_undone(scenario, CallState(None)) == 0
    empty = CallData(caller=Caller(name="", agency_type=AgencyType.OTHER), opened_at=datetime.now(UTC))
    assert first_undone(scenario, CallState(empty)) == 1  # a form is open, nothing typed yet
    typed = CallData(
        caller=Caller(
            name="DC Rowan Ashdown", agency_type=AgencyType.POLICE, organisation="Northumbria Police",
            collar_number="4471", phone="+447700900412",
        ),
        opened_at=datetime.now(UTC), urgency=Urgency.URGENT, summary="Hand CAR WASH, one aged 16",
        persons=(PersonData(age_group=AgeGroup.CHILD),), routes=(RouteData(route=Route.VICTIM),),
    )  # fmt: skip
    assert first_undone(scenario, CallState(typed)) == 7  # up to the guidance, which is not on show
    shown = CallState(typed, guidance=("victim-child",), in_guidance=True)
    assert first_undone(scenario, shown) == 8
    noted = dataclasses.replace(typed, narrative="Duty adviser to call the DC back")
    assert first_undone(scenario, CallState(noted, guidance=("victim-child",), in_guidance=True)) == 9
    done = CallState(noted, saved=True, guidance=("victim-child",), in_guidance=True)
    assert first_undone(scenario, done) == 10


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('[[step]]\ndo = "x"\ncheck = { field = "summary", filled = true }\ncolour = 1', "key 'colour'"),
        ('[[step]]\ndo = "x"', "a step needs a check"),
        ('[[step]]\ndo = "x"\ncheck = { field = "summary" }', "exactly one test"),
        ('[[step]]\ndo = "x"\ncheck = { field = "summary", filled = true, equals = "a" }', "one test"),
        ('[[step]]\ndo = "x"\ncheck = { field = "summary", filled = "yes" }', "filled must be true or false"),
        ('[[step]]\ndo = "x"\ncheck = { field = "ticked.nowhere", includes = "a" }', "not a field"),
        ('[[step]]\ndo = "x"\ncheck = { field = "summary", looks = "a" }', "unknown key 'looks'"),
        ('[[step]]\ndo = ""\ncheck = { field = "summary", filled = true }', "'do' must be non-empty text"),
        ("", "at least one [[step]]"),
        ("[[step", "not valid TOML"),
    ],
)
def test_a_bad_scenario_says_where_and_what(tmp_path: Path, body: str, problem: str) -> None:
    from supportline.training_script import ScenarioError, parse_scenario

    path = tmp_path / "bad.toml"
    with pytest.raises(ScenarioError) as raised:
        parse_scenario('id = "x"\ntitle = "X"\n' + body, path)
    assert str(raised.value).startswith(str(path)) and problem in str(raised.value)
