"""JSON Lines export (issue 5): one object per line with the CSV's keys and natural JSON values,
the same content as the CSV row, odd Unicode kept on one line, pseudonyms, figures, audit.

Every person, number and address here is invented; phone numbers are from Ofcom's drama range.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from supportline.db import Database
from supportline.enums import AuditCategory, Role
from supportline.exports import figures, service
from supportline.exports.common import ExportFormat, ExportResult, Profile
from supportline.exports.csv_export import COLUMNS, MULTI_SEPARATOR, unneutralise
from supportline.exports.jsonl_export import row_object
from supportline.services import audit, call_codec
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, CallQuery
from supportline.services.calls import get_call, save_call
from supportline.services.demo import generate_demo
from supportline.services.errors import PermissionDeniedError
from tests.factories import full_call, make_admin, make_user, outcome

START = datetime(2026, 6, 14, 2, 17, 31, 123456, tzinfo=UTC)
PURPOSE = "Calls for the partnership's case management system"
LINE_BREAKS = "line\u2028separator para\u2029graph nel\x85 vt\x0b ff\x0c fs\x1c cr\r\nlf\n"
ODD = "Zoë Ødegård-Ñúñez 李小龍 Ἀθηνᾶ مرحبا e\u0301 👩‍👩‍👧 \ufeff\ufffd =1+1 'quoted " + LINE_BREAKS

csv.field_size_limit(2**31 - 1)


def export(db: Database, actor: Actor, path: Path, **kwargs: Any) -> ExportResult:
    options: dict[str, Any] = {"query": CallQuery(), "profile": Profile.FULL, "purpose": PURPOSE}
    options.update(kwargs)
    return service.export(db, actor, format=ExportFormat.JSONL, path=path, **options)


def lines_of(path: Path) -> list[dict[str, Any]]:
    raw = path.read_bytes()
    assert raw == b"" or raw.endswith(b"\n")
    return [json.loads(line) for line in raw.split(b"\n")[:-1]]


@pytest.fixture
def admin(db: Database) -> Actor:
    return make_admin(db)


@pytest.fixture
def odd_call(db: Database, admin: Actor) -> CallData:
    data = full_call(START, summary="Zoë Ødegård-Ñúñez 李小龍 =1+1", narrative=ODD)
    data = dataclasses.replace(data, caller=dataclasses.replace(data.caller, name="Ἀθηνᾶ =HYPERLINK()"))
    return save_call(db, admin, data).data


def test_one_object_per_line_with_natural_values(
    db: Database, admin: Actor, odd_call: CallData, tmp_path: Path
) -> None:
    path = tmp_path / "calls.jsonl"
    result = export(db, admin, path)
    raw = path.read_bytes()
    assert result.rows == 1 and result.format is ExportFormat.JSONL
    assert result.sha256 == hashlib.sha256(raw).hexdigest()
    # Exactly one line, whichever way a reader splits lines: no raw U+2028, U+2029 or NEL.
    assert raw.count(b"\n") == 1 and len(raw.decode("utf-8").splitlines()) == 1
    [obj] = lines_of(path)
    assert list(obj) == list(COLUMNS)  # every key, in the CSV's order
    record = get_call(db, admin, odd_call.id, audit_view=False)
    assert obj == row_object(record)
    assert obj["narrative"] == ODD and obj["caller_name"] == "Ἀθηνᾶ =HYPERLINK()"  # never neutralised
    assert obj["summary"] == "Zoë Ødegård-Ñúñez 李小龍 =1+1"
    assert "Zoë".encode() in raw  # text is written as UTF-8, not \u-escaped
    assert (obj["county_lines"], obj["victim_at_scene"], obj["nrm_consent"]) == (False, False, "consents")
    assert obj["exploitation_types"] == ["criminal", "labour"]
    assert obj["outcomes"] == ["childrens_services_referral", "nrm_advised"]
    assert obj["routes_chosen"] == ["victim"] and obj["caller_phone"] == "+447700900417"
    assert obj["opened_at"] == "2026-06-14T02:17:31.123456+00:00"
    assert obj["handler"] == "Ada Admin" and obj["handler_id"] == str(admin.user_id)
    assert obj["case_id"] == str(record.data.case_id) and obj["case_reference"] == record.case_reference
    encoded = call_codec.to_jsonable(record.data)
    for key in ("persons", "routes", "referrals", "follow_ups"):
        assert obj[key] == encoded[key]
    assert obj["persons"][0]["name"] == "Person A" and obj["persons"][1]["nationalities"] == ["AL", "GR"]


def test_open_call_has_nulls(db: Database, admin: Actor, tmp_path: Path) -> None:
    save_call(db, admin, full_call(START, status="open", closed_at=None, nrm_consent=None))
    [obj] = lines_of(export(db, admin, tmp_path / "open.jsonl").path)
    assert (obj["closed_at"], obj["nrm_consent"], obj["status"]) == (None, None, "open")


def _as_csv_cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if column in ("persons", "routes", "referrals", "follow_ups"):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, list):
        return MULTI_SEPARATOR.join(value)
    assert isinstance(value, str)
    return value


def test_same_content_as_the_csv_export(db: Database, tmp_path: Path) -> None:
    generate_demo(db, calls=30, password="demo password 2026", seed=9, batch_size=30)
    from supportline.services import accounts

    actor = accounts.authenticate(db, "demo-supervisor", "demo password 2026")
    jsonl, csv_path = tmp_path / "calls.jsonl", tmp_path / "calls.csv"
    export(db, actor, jsonl)
    service.export(
        db, actor, format=ExportFormat.CSV, query=CallQuery(), profile=Profile.FULL, path=csv_path,
        purpose=PURPOSE,
    )  # fmt: skip
    with csv_path.open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    objects = lines_of(jsonl)
    assert len(objects) == len(rows) == 30
    for obj, row in zip(objects, rows, strict=True):
        assert [_as_csv_cell(c, obj[c]) for c in header] == [unneutralise(cell) for cell in row]


def test_pseudonymised_profile_leaks_nothing(
    db: Database, admin: Actor, odd_call: CallData, tmp_path: Path
) -> None:
    path = tmp_path / "pseudo.jsonl"
    export(db, admin, path, profile=Profile.PSEUDONYMISED)
    raw = path.read_text(encoding="utf-8")
    for canary in ("Ἀθηνᾶ", "Person A", "+447700900417", "7700900417", "m.tregarthen@example.org",
                   "DC 4471", "CS/77", "Ada Admin", "Zoë", "Says he is 19"):  # fmt: skip
        assert canary not in raw
    [obj] = lines_of(path)
    assert obj["caller_name"].startswith("P-") and obj["narrative"] == "" and obj["summary"] == ""
    assert obj["handler"].startswith("P-") and obj["persons"][0]["name"].startswith("P-")


def test_only_supervisors_and_admins_export_calls(db: Database, admin: Actor, tmp_path: Path) -> None:
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    path = tmp_path / "calls.jsonl"
    with pytest.raises(PermissionDeniedError):
        export(db, operator, path)
    assert not path.exists()
    supervisor = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    result = export(db, supervisor, path)
    [event, refusal] = audit.recent_events(db, admin, action="calls.export")  # newest first
    assert (refusal.actor_name, outcome(refusal)) == ("olu.operator", "refused")
    assert event.category is AuditCategory.DISCLOSURE
    assert (event.details["format"], event.details["rows"], event.details["sha256"]) == (
        "jsonl", 0, result.sha256,
    )  # fmt: skip
    assert path.read_bytes() == b""


def test_figures_profile_writes_one_object_per_table(db: Database, tmp_path: Path) -> None:
    generate_demo(db, calls=60, password="demo password 2026", seed=4, batch_size=60)
    from supportline.services import accounts

    actor = accounts.authenticate(db, "demo-supervisor", "demo password 2026")
    path = tmp_path / "figures.jsonl"
    result = export(db, actor, path, profile=Profile.FIGURES)
    assert result.rows == 60
    objects = lines_of(path)
    tables = figures.compute(db, CallQuery()).tables()
    assert [o["table"] for o in objects] == [t.key for t in tables] and len(objects) > 5
    for obj, table in zip(objects, tables, strict=True):
        assert set(obj) == {"table", "title", "columns", "rows", "keys", "note"}
        assert (obj["title"], obj["columns"], obj["keys"], obj["note"]) == (
            table.title, list(table.columns), list(table.keys), table.note,
        )  # fmt: skip
        assert obj["rows"] == [list(row) for row in table.rows]
    # No call's data: not one caller name or reference appears.
    raw = path.read_text(encoding="utf-8")
    with db.read() as session:
        names = session.execute(text("SELECT caller_name, reference FROM calls")).all()
    assert not any(name in raw or reference in raw for name, reference in names)
    # Independent count: the route table's numbers are plain SQL counts of chosen routes.
    by_route = next(o for o in objects if o["table"] == "calls_by_route")
    with db.read() as session:
        counts: dict[str, int] = dict(
            session.execute(
                text("SELECT route, COUNT(DISTINCT call_id) FROM route_advice WHERE chosen GROUP BY route")
            ).all()
        )
    for key, row in zip(by_route["keys"], by_route["rows"], strict=True):
        if key != "total":
            assert row[1] == counts.get(key, 0), key


def test_cancel_leaves_no_file(db: Database, admin: Actor, tmp_path: Path) -> None:
    for i in range(3):
        save_call(db, admin, full_call(START + timedelta(hours=i)))
    path = tmp_path / "calls.jsonl"
    path.write_bytes(b"previous\n")
    from supportline.exports.common import ExportCancelled

    with pytest.raises(ExportCancelled):
        export(db, admin, path, cancelled=lambda: True)
    assert path.read_bytes() == b"previous\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".supportline-")) == []
