"""CSV export (issue 5, first slice): round trips, pseudonyms, permissions, audit and atomicity.

Every person, number and address here is invented; phone numbers are from Ofcom's drama range.
"""

from __future__ import annotations

import csv
import dataclasses
import errno
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from supportline.cli import common as cli_common
from supportline.db import Database
from supportline.db.models import Call
from supportline.enums import AuditCategory, Role, Route, Urgency
from supportline.exports import atomic, common, csv_export
from supportline.exports.csv_export import (
    COLUMNS,
    FORMULA_STARTS,
    ExportCancelled,
    Profile,
    export_calls,
    neutralise,
    row_cells,
    unneutralise,
)
from supportline.services import audit, call_codec
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, CallQuery, PersonData, ReferralData
from supportline.services.calls import get_call, save_call
from supportline.services.errors import PermissionDeniedError, ValidationError
from tests.conftest import Run
from tests.factories import PASSWORD, full_call, make_admin, make_user, outcome

START = datetime(2026, 6, 14, 2, 17, 31, 123456, tzinfo=UTC)
PURPOSE = "Quarterly figures for the regional anti-slavery partnership"


def read_rows(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as f:
        return list(csv.reader(f))


def read_dicts(path: Path) -> list[dict[str, str]]:
    header, *rows = read_rows(path)
    assert tuple(header) == COLUMNS
    return [dict(zip(header, row, strict=True)) for row in rows]


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(atomic.TEMP_PREFIX))


def export(db: Database, actor: Actor, path: Path, **kwargs: Any) -> csv_export.ExportResult:
    options: dict[str, Any] = {"query": CallQuery(), "profile": Profile.FULL, "purpose": PURPOSE}
    options.update(kwargs)
    return export_calls(db, actor, path=path, **options)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """A folder for the exports alone (the SQLite database lives in ``tmp_path``)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


@pytest.fixture
def admin(db: Database) -> Actor:
    return make_admin(db)


@pytest.fixture
def supervisor(db: Database, admin: Actor) -> Actor:
    return make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)


@pytest.fixture
def five_calls(db: Database, admin: Actor) -> list[CallData]:
    """Five calls an hour apart, each with its own caller."""
    saved = []
    for i in range(5):
        data = full_call(START + timedelta(hours=i))
        data = dataclasses.replace(data, caller=dataclasses.replace(data.caller, name=f"Caller Number {i}"))
        saved.append(save_call(db, admin, data).data)
    return saved


# --- the file -----------------------------------------------------------------------------------


def test_full_profile_reads_back_every_field(db: Database, admin: Actor, out_dir: Path) -> None:
    saved = save_call(db, admin, full_call(summary="=SUM(A1:A9) looks like a formula")).data
    path = out_dir / "calls.csv"
    result = export(db, admin, path)
    raw = path.read_bytes()
    assert result.rows == 1 and result.profile is Profile.FULL
    assert result.sha256 == hashlib.sha256(raw).hexdigest()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") >= 2 and raw.startswith(b"id,reference,case_id,")
    [row] = read_dicts(path)
    record = get_call(db, admin, saved.id, audit_view=False)
    assert list(row.values()) == [neutralise(c) for c in row_cells(record)]
    assert row["id"] == str(saved.id) and row["reference"] == record.reference
    assert row["opened_at"] == "2026-06-14T02:17:31.123456+00:00"
    assert row["closed_at"] == "2026-06-14T02:40:31.123456+00:00"
    assert row["caller_name"] == "DS Morwenna Tregarthen" and row["caller_phone"] == "'+447700900417"
    assert row["caller_collar_number"] == "DC 4471" and row["caller_email"] == "m.tregarthen@example.org"
    assert (row["status"], row["urgency"], row["county_lines"], row["nrm_consent"]) == (
        "closed", "urgent", "false", "consents",
    )  # fmt: skip
    assert row["exploitation_types"] == "criminal; labour"
    assert row["outcomes"] == "childrens_services_referral; nrm_advised"
    assert row["routes_chosen"] == "victim"
    assert row["narrative"] == saved.narrative and "\n" in row["narrative"]
    assert row["summary"] == "'=SUM(A1:A9) looks like a formula"
    assert row["handler"] == "Ada Admin"
    # The JSON columns hold the children exactly as the codec writes them: nothing is lost.
    encoded = call_codec.to_jsonable(record.data)
    for key in ("persons", "routes", "referrals", "follow_ups"):
        assert json.loads(row[key]) == encoded[key]
    assert json.loads(row["persons"])[0]["name"] == "Person A"


def test_bom_option(db: Database, admin: Actor, five_calls: list[CallData], out_dir: Path) -> None:
    plain, with_bom = out_dir / "plain.csv", out_dir / "bom.csv"
    export(db, admin, plain)
    result = export(db, admin, with_bom, bom=True)
    raw = with_bom.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and not raw.startswith(b"\xef\xbb\xbf" * 2)
    assert result.sha256 == hashlib.sha256(raw).hexdigest()
    assert read_rows(with_bom, encoding="utf-8-sig") == read_rows(plain)


def test_filters_and_paging(
    db: Database, admin: Actor, five_calls: list[CallData], out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "PAGE_SIZE", 2)
    path = out_dir / "all.csv"
    progress: list[tuple[int, int]] = []
    assert export(db, admin, path, progress=lambda done, total: progress.append((done, total))).rows == 5
    assert [r["id"] for r in read_dicts(path)] == [str(c.id) for c in five_calls]  # oldest first
    assert progress[0] == (0, 5) and progress[-1] == (5, 5)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    window = CallQuery(opened_from=START + timedelta(hours=1), opened_to=START + timedelta(hours=3))
    assert export(db, admin, path, query=window).rows == 2
    assert [r["id"] for r in read_dicts(path)] == [str(c.id) for c in five_calls[1:3]]
    assert export(db, admin, path, query=CallQuery(urgency=Urgency.CRISIS)).rows == 0
    assert read_dicts(path) == []
    assert export(db, admin, path, query=CallQuery(route=Route.VICTIM)).rows == 5
    assert export(db, admin, path, query=CallQuery(route=Route.IMMIGRATION)).rows == 0  # not chosen


def test_pages_break_ties_on_the_id(
    db: Database, admin: Actor, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "PAGE_SIZE", 2)
    ids = [
        save_call(db, admin, full_call(START, follow_ups=(), referrals=(), persons=())).id for _ in range(5)
    ]
    path = out_dir / "same-second.csv"
    assert export(db, admin, path).rows == 5
    assert [r["id"] for r in read_dicts(path)] == sorted(str(i) for i in ids)


# --- hypothesis: any text survives, formulas are neutralised exactly --------------------------------

_storable = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
_formula_like = st.tuples(st.sampled_from([*FORMULA_STARTS, "'", "'=", " ="]), st.text(_storable)).map(
    "".join
)
_value = st.one_of(st.text(_storable), _formula_like)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_value.filter(lambda s: s.strip()), narrative=_value)
def test_any_text_round_trips_and_formulas_are_neutralised(
    db: Database, admin: Actor, out_dir: Path, name: str, narrative: str
) -> None:
    base = full_call()
    data = dataclasses.replace(
        base,
        id=uuid.UUID(int=1),
        caller=dataclasses.replace(base.caller, name=name),
        narrative=narrative,
        persons=(),
        referrals=(),
        follow_ups=(),
        routes=(),
    )
    # The same id every time: one call, updated (at the version stored, as an editor would).
    with db.read() as session:
        stored_version = session.scalar(select(Call.version).where(Call.id == data.id))
    saved = save_call(db, admin, data, expected_version=stored_version).data
    path = out_dir / "h.csv"
    export(db, admin, path)
    [row] = read_dicts(path)
    for stored, cell in ((saved.caller.name, row["caller_name"]), (saved.narrative, row["narrative"])):
        # Exactly the formula starts, and a leading apostrophe (so the rule can be undone), gain one.
        expected = "'" + stored if stored.startswith((*FORMULA_STARTS, "'")) else stored
        assert cell == expected
        assert unneutralise(cell) == stored


def test_neutralise_rule() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(start + "1+1") == "'" + start + "1+1"
    for safe in ("", " =1", "a=b", "\n=1", "1-2", "£=", "＝1", "x'"):
        assert neutralise(safe) == safe == unneutralise(safe)
    for quoted in ("'", "'=already", "'plain"):
        assert neutralise(quoted) == "'" + quoted and unneutralise(neutralise(quoted)) == quoted


# --- pseudonymised profile ----------------------------------------------------------------------------

CANARIES = (
    "Zebediah", "Quillfeather", "900999", "7700900999", "zeb.canary", "example.net", "QX 90417",
    "90417", "marmalade", "hyacinth", "Wolstenholme", "Bathsheba", "CANARY-555", "periwinkle",
    "snapdragon", "gooseberry", "Ada Admin", "Tregarthen",
)  # fmt: skip


def test_pseudonymised_profile_leaks_no_canary(
    db: Database, admin: Actor, supervisor: Actor, out_dir: Path
) -> None:
    base = full_call()
    canary = dataclasses.replace(
        base,
        caller=dataclasses.replace(
            base.caller,
            name="Zebediah Quillfeather",
            phone="07700 900999",
            email="zeb.canary@example.net",
            collar_number="QX 90417",
        ),
        summary="periwinkle summary",
        narrative="The marmalade hyacinth was seen near the depot.",
        persons=(PersonData(name="Bathsheba Wolstenholme", notes="snapdragon"),),
        referrals=(
            ReferralData(target=base.referrals[0].target, reference="CANARY-555", notes="gooseberry"),
        ),
    )
    first = save_call(db, admin, canary).data
    later = START + timedelta(hours=1)
    second = dataclasses.replace(
        canary,
        id=uuid.uuid4(),
        opened_at=later,
        closed_at=later + timedelta(minutes=5),
        persons=(),
        referrals=(),
        follow_ups=(),
    )
    again = save_call(db, admin, second).data
    full_path, pseudo_path = out_dir / "full.csv", out_dir / "pseudo.csv"
    export(db, supervisor, full_path)
    full_text = full_path.read_text(encoding="utf-8")
    assert "Quillfeather" in full_text and "+447700900999" in full_text  # the canaries are really there

    result = export(db, supervisor, pseudo_path, profile="pseudonymised")
    assert result.profile is Profile.PSEUDONYMISED and result.rows == 2
    text = pseudo_path.read_text(encoding="utf-8")
    for word in CANARIES:
        assert word.lower() not in text.lower(), word
    rows = {r["id"]: r for r in read_dicts(pseudo_path)}
    a, b = rows[str(first.id)], rows[str(again.id)]
    for column in ("caller_name", "caller_phone", "caller_email", "caller_collar_number", "handler"):
        assert a[column].startswith("P-") and len(a[column]) == 10
        assert a[column] == b[column]  # the same value, the same pseudonym within one export
    assert len({a["caller_name"], a["caller_phone"], a["caller_email"], a["caller_collar_number"]}) == 4
    assert a["summary"] == a["narrative"] == ""
    person = json.loads(a["persons"])[0]
    assert person["name"].startswith("P-") and person["notes"] == ""
    assert a["caller_organisation"] == "Devon and Cornwall Police"  # the agency is kept for the figures
    # Another export: new key, new pseudonyms.
    export(db, supervisor, pseudo_path, profile="pseudonymised")
    assert {r["caller_name"] for r in read_dicts(pseudo_path)} != {a["caller_name"]}


# --- who, why, and the audit --------------------------------------------------------------------------


def test_operator_may_not_export(
    db: Database, admin: Actor, five_calls: list[CallData], out_dir: Path
) -> None:
    operator = make_user(db, admin, "olly.operator", Role.OPERATOR)
    adviser = make_user(db, admin, "ada.adviser", Role.ADVISER)
    path = out_dir / "calls.csv"
    for actor in (operator, adviser):
        for profile in Profile:
            with pytest.raises(PermissionDeniedError, match=r"export\.(personal|figures)"):
                export(db, actor, path, profile=profile)
    assert list(out_dir.iterdir()) == []
    # No disclosure; each refusal audited, under the action refused.
    events = audit.recent_events(db, admin, action="calls.export")
    assert [outcome(e) for e in events] == ["refused"] * 4  # two people, two personal profiles
    figures = audit.recent_events(db, admin, action="figures.export")
    assert [outcome(e) for e in figures] == ["refused"] * 2


def test_purpose_is_required(db: Database, admin: Actor, five_calls: list[CallData], out_dir: Path) -> None:
    path = out_dir / "calls.csv"
    with pytest.raises(ValidationError) as caught:
        export(db, admin, path, purpose="  \n ", profile="everything")
    assert set(caught.value.fields) == {"purpose", "profile"}
    assert list(out_dir.iterdir()) == []
    assert audit.recent_events(db, admin, action="calls.export") == []


def test_one_disclosure_event_with_the_file_hash(
    db: Database, admin: Actor, supervisor: Actor, five_calls: list[CallData], out_dir: Path
) -> None:
    path = out_dir / "calls.csv"
    query = CallQuery(opened_from=START, opened_to=START + timedelta(days=1), urgency=Urgency.URGENT)
    result = export(db, supervisor, path, query=query, profile="pseudonymised")
    [event] = audit.recent_events(db, admin, action="calls.export")
    assert event.category is AuditCategory.DISCLOSURE
    assert event.actor_id == supervisor.user_id
    details = event.details
    assert details["sha256"] == result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (details["rows"], details["profile"], details["format"]) == (5, "pseudonymised", "csv")
    assert details["purpose"] == PURPOSE
    assert details["filters"] == {
        "opened_from": START.isoformat(),
        "opened_to": (START + timedelta(days=1)).isoformat(),
        "urgency": "urgent",
    }


# --- atomicity ---------------------------------------------------------------------------------------


@pytest.fixture
def previous(out_dir: Path) -> Path:
    path = out_dir / "calls.csv"
    path.write_bytes(b"the previous export\r\n\xff\x00")
    return path


def test_cancel_halfway_leaves_no_file(
    db: Database, admin: Actor, five_calls: list[CallData], out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "PAGE_SIZE", 2)
    asked: list[int] = []

    def cancel_on_third() -> bool:
        asked.append(1)
        return len(asked) >= 3

    fresh = out_dir / "fresh.csv"
    with pytest.raises(ExportCancelled):
        export(db, admin, fresh, cancelled=cancel_on_third)
    assert not fresh.exists() and leftovers(out_dir) == []
    assert audit.recent_events(db, admin, action="calls.export") == []


def test_cancel_keeps_the_previous_file(
    db: Database, admin: Actor, five_calls: list[CallData], previous: Path
) -> None:
    before = previous.read_bytes()
    with pytest.raises(ExportCancelled):
        export(db, admin, previous, cancelled=lambda: True)
    assert previous.read_bytes() == before and leftovers(previous.parent) == []


class _DiskFills:
    """A csv.writer that fills the disk after ``rows`` rows."""

    def __init__(self, real: Any, rows: int) -> None:
        self._real, self._left = real, rows

    def writerow(self, row: Any) -> Any:
        if self._left == 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._left -= 1
        return self._real.writerow(row)


def test_disk_full_leaves_no_file_and_keeps_the_previous_one(
    db: Database,
    admin: Actor,
    five_calls: list[CallData],
    previous: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_writer = csv.writer
    monkeypatch.setattr(csv, "writer", lambda out, **kw: _DiskFills(real_writer(out, **kw), 3))
    before = previous.read_bytes()
    fresh = previous.parent / "fresh.csv"
    for target in (fresh, previous):
        with pytest.raises(OSError, match="No space left") as caught:
            export(db, admin, target)
        assert caught.value.errno == errno.ENOSPC
    assert not fresh.exists()
    assert previous.read_bytes() == before
    assert sorted(p.name for p in previous.parent.iterdir()) == ["calls.csv"]
    assert audit.recent_events(db, admin, action="calls.export") == []


def test_atomic_write_directly(out_dir: Path) -> None:
    target = out_dir / "out.txt"
    with atomic.atomic_write(target, encoding="utf-8") as f:
        f.write("één\n")
        assert not target.exists()
    assert target.read_text(encoding="utf-8") == "één\n"

    def interrupted() -> None:
        with atomic.atomic_write(target, "wb") as fb:
            fb.write(b"half")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert target.read_text(encoding="utf-8") == "één\n" and leftovers(out_dir) == []
    with pytest.raises(ValueError, match="mode"):
        atomic.atomic_write(target, "a")  # type: ignore[call-overload]


# --- the command line ------------------------------------------------------------------------------


def test_cli_export_shows_progress_on_a_terminal_only(
    run: Run, cli_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = make_admin(cli_db)
    for hour in range(3):
        save_call(cli_db, admin, full_call(datetime(2026, 10, 24, 10 + hour, tzinfo=UTC)))
    args = ("export", "--format", "csv", "--from", "2026-10-24", "--to", "2026-10-24", "--purpose", PURPOSE,
            "--output", str(tmp_path / "p.csv"), "--user", "ada.admin", "--password-stdin")  # fmt: skip
    piped = run(*args, stdin=f"{PASSWORD}\n")
    assert piped.code == 0 and "\r" not in piped.err  # a log or a pipe gets no progress line
    monkeypatch.setattr(cli_common, "stderr_is_tty", lambda: True)
    shown = run(*args, stdin=f"{PASSWORD}\n")
    assert shown.code == 0, shown.err
    assert shown.err.startswith("\rexporting calls: 0 of 3 (0%)\rexporting calls: 3 of 3 (100%)\n")
    assert shown.err.endswith("exported 3 call(s) (csv, full) to " + str(tmp_path / "p.csv") + "\n")


def test_cli_export_end_to_end(
    run: Run, cli_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = make_admin(cli_db)
    make_user(cli_db, admin, "olly.operator", Role.OPERATOR)
    # Either side of local midnight at the start of 25 October 2026 (BST → GMT that night).
    late = save_call(cli_db, admin, full_call(datetime(2026, 10, 24, 22, 30, tzinfo=UTC))).data
    early = save_call(cli_db, admin, full_call(datetime(2026, 10, 24, 23, 30, tzinfo=UTC))).data
    out = tmp_path / "october.csv"
    args = ("export", "--format", "csv", "--from", "2026-10-25", "--to", "2026-10-25",
            "--output", str(out), "--password-stdin")  # fmt: skip
    pw = f"{PASSWORD}\n"

    refused = run(*args, "--purpose", PURPOSE, "--user", "olly.operator", stdin=pw)
    assert refused.code == 3 and "export.personal" in refused.err and not out.exists()

    done = run(*args, "--purpose", PURPOSE, "--user", "ada.admin", "--bom", "--urgency", "urgent", stdin=pw)
    assert done.code == 0, done.err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert done.out.strip() == f"sha256 {hashlib.sha256(raw).hexdigest()}"
    assert "exported 1 call(s)" in done.err
    header, *rows = read_rows(out, encoding="utf-8-sig")
    assert tuple(header) == COLUMNS and [r[0] for r in rows] == [str(early.id)]
    assert str(late.id) not in raw.decode("utf-8")

    pseudo = run(*args, "--purpose", PURPOSE, "--user", "ada.admin", "--profile", "pseudonymised", stdin=pw)
    assert pseudo.code == 0 and "Tregarthen" not in out.read_text(encoding="utf-8")

    none = run(*args, "--purpose", PURPOSE, "--user", "ada.admin", "--route", "immigration", stdin=pw)
    assert none.code == 0 and len(read_rows(out)) == 1  # the header only

    before = out.read_bytes()
    no_purpose = run(*args, "--purpose", " ", "--user", "ada.admin", stdin=pw)
    assert no_purpose.code == 1 and "purpose" in no_purpose.err and out.read_bytes() == before

    backwards = run("export", "--from", "2026-10-25", "--to", "2026-10-24", "--purpose", PURPOSE,
                    "--output", str(out), "--user", "ada.admin", "--password-stdin", stdin=pw)  # fmt: skip
    assert backwards.code == 2 and "before" in backwards.err
    missing = run("export", "--from", "2026-10-25", "--to", "2026-10-25", "--purpose", PURPOSE,
                  "--output", str(tmp_path / "nowhere" / "x.csv"), "--user", "ada.admin",
                  "--password-stdin", stdin=pw)  # fmt: skip
    assert missing.code == 2 and "does not exist" in missing.err
    monkeypatch.chdir(tmp_path)
    dash = run("export", "--from", "2026-10-25", "--to", "2026-10-25", "--purpose", PURPOSE,
               "--output", "-", "--user", "ada.admin", "--password-stdin", stdin=pw)  # fmt: skip
    assert dash.code == 2 and "not to standard output" in dash.err and not (tmp_path / "-").exists()
    events = audit.recent_events(cli_db, admin, action="calls.export")
    assert [outcome(e) for e in events].count("refused") == 1  # the operator's
    events = [e for e in events if outcome(e) == "allowed"]
    assert [e.details["profile"] for e in events] == ["full", "pseudonymised", "full"]
