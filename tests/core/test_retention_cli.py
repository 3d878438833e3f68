"""``supportline retention …`` and ``supportline erasure …`` in-process (fictitious data only)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from supportline.db.models import Call, Case, ErasureRequest
from supportline.services import accounts
from supportline.services.calls import save_call
from tests.conftest import Run
from tests.factories import full_call

PW = "Saffron-kettle-41-dune"


def setup_accounts(run: Run) -> None:
    assert run("users", "add", "ada.admin", "--role", "admin", "--password-stdin", stdin=f"{PW}\n").code == 0
    for name in ("sam.first", "kim.second"):
        result = run(
            "users", "add", name, "--role", "supervisor", "--user", "ada.admin", "--password-stdin",
            stdin=f"{PW}\n{PW}\n",
        )  # fmt: skip
        assert result.code == 0, result.err


def test_erasure_from_the_command_line_needs_two_people(run: Run, cli_db) -> None:
    setup_accounts(run)
    admin = accounts.authenticate(cli_db, "ada.admin", PW)
    call = save_call(cli_db, admin, full_call())
    result = run(
        "erasure", "request", "--call", call.reference, "--reason", "DSR-2026-09", "--user", "sam.first",
        "--password-stdin", stdin=f"{PW}\n",
    )  # fmt: skip
    assert result.code == 0, result.err
    with cli_db.read() as session:
        request_id = str(session.scalar(select(ErasureRequest.id)))
    assert request_id in result.out

    own = run(
        "erasure", "approve", request_id, "--yes", "--user", "sam.first", "--password-stdin", stdin=f"{PW}\n"
    )
    assert own.code != 0
    assert "two-person rule" in own.err
    unconfirmed = run(
        "erasure", "approve", request_id, "--user", "kim.second", "--password-stdin", stdin=f"{PW}\n"
    )
    assert unconfirmed.code == 2 and "--yes" in unconfirmed.err

    listed = run(
        "erasure", "list", "--status", "pending", "--user", "kim.second", "--password-stdin", stdin=f"{PW}\n"
    )
    assert request_id in listed.out and "DSR-2026-09" in listed.out
    done = run(
        "erasure", "approve", request_id, "--yes", "--user", "kim.second", "--password-stdin", stdin=f"{PW}\n"
    )
    assert done.code == 0, done.err
    assert f"erased call {call.reference}" in done.out
    with cli_db.read() as session:
        assert session.get(Call, call.id) is None
    records = run("erasure", "list", "--records", "--user", "ada.admin", "--password-stdin", stdin=f"{PW}\n")
    assert call.reference in records.out and "kim.second" in records.out and "sam.first" in records.out
    assert "Tregarthen" not in records.out

    bad = run(
        "erasure",
        "approve",
        "not-an-id",
        "--yes",
        "--user",
        "kim.second",
        "--password-stdin",
        stdin=f"{PW}\n",
    )
    assert bad.code == 2 and "not a request id" in bad.err


def test_retention_review_hold_and_run_from_the_command_line(run: Run, cli_db) -> None:
    setup_accounts(run)
    admin = accounts.authenticate(cli_db, "ada.admin", PW)
    kept = save_call(cli_db, admin, full_call(opened_at=datetime(2026, 1, 5, 9, tzinfo=UTC), follow_ups=()))
    due = save_call(cli_db, admin, full_call(opened_at=datetime(2026, 1, 6, 9, tzinfo=UTC), follow_ups=()))
    with cli_db.read() as session:
        case = session.scalar(
            select(Case.reference).join(Call, Call.case_id == Case.id).where(Call.id == kept.id)
        )
    args = ("--user", "ada.admin", "--password-stdin")

    hold = run(
        "retention",
        "hold",
        case,
        "--reason",
        "Order 2026/3",
        "--user",
        "sam.first",
        "--password-stdin",
        stdin=f"{PW}\n",
    )
    assert hold.code == 0, hold.err
    assert case in run("retention", "holds", "--user", "kim.second", "--password-stdin", stdin=f"{PW}\n").out

    review = run("retention", "review", "--as-of", "2034-01-01", *args, stdin=f"{PW}\n")
    assert review.code == 0, review.err
    assert due.reference in review.out and "no legal hold" in review.out
    assert kept.reference in review.out and "legal hold" in review.out
    assert "1 due for erasure, 1 kept" in review.out

    refused = run(
        "retention",
        "run",
        "--as-of",
        "2034-01-01",
        "--yes",
        "--user",
        "sam.first",
        "--password-stdin",
        stdin=f"{PW}\n",
    )
    assert refused.code != 0 and "retention.admin" in refused.err
    no_yes = run("retention", "run", "--as-of", "2034-01-01", *args, stdin=f"{PW}\n")
    assert no_yes.code == 2 and "--yes" in no_yes.err

    done = run("retention", "run", "--as-of", "2034-01-01", "--yes", *args, stdin=f"{PW}\n")
    assert done.code == 0, done.err
    assert "1 calls, 0 drafts" in done.out
    with cli_db.read() as session:
        assert session.get(Call, due.id) is None
        assert session.get(Call, kept.id) is not None

    bad = run("retention", "review", "--as-of", "2034-13-01", *args, stdin=f"{PW}\n")
    assert bad.code == 2 and "YYYY-MM-DD" in bad.err
    missing = run("retention", "hold", "CASE-1999-000001", "--reason", "x", *args, stdin=f"{PW}\n")
    assert missing.code == 1 and "no case" in missing.err
