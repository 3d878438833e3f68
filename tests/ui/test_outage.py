"""Working through an outage (issue 13, item 5), in the window: a save the shared database does
not take goes to the local journal, the banner says how many wait, and they are sent by
themselves when the database is back."""

from __future__ import annotations

import dataclasses
import signal
import uuid
from collections.abc import Iterator

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from sqlalchemy.engine import make_url

from supportline.db import Database, Timeouts, create_database
from supportline.enums import CallStatus
from supportline.services import call_codec, calls
from tests.conftest import PG_URL
from tests.db.tcp_proxy import TcpProxy
from tests.factories import full_call, make_admin
from ui.tasks import TaskRunner

pytestmark = pytest.mark.postgres

SHORT = Timeouts(
    connect_s=1, statement_s=2, lock_s=1, idle_in_transaction_s=5, network_s=3, write_s=1, read_s=2
)


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    url = make_url(PG_URL)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as p:
        yield p


def test_a_save_during_an_outage_is_journaled_shown_in_the_banner_and_sent_when_back(
    qtbot: QtBot, pg_db: Database, request: pytest.FixtureRequest, proxy: TcpProxy, make_window: object
) -> None:
    schema: str = request.getfixturevalue("_pg_schema")
    admin = make_admin(pg_db)
    original = calls.save_call(pg_db, admin, full_call(status=CallStatus.OPEN, closed_at=None, routes=()))
    shared = create_database(
        make_url(PG_URL).set(host="127.0.0.1", port=proxy.port), schema=schema, timeouts=SHORT
    )
    try:
        window = make_window(shared, admin)  # type: ignore[operator]
        window.open_call(original.id)
        qtbot.waitUntil(lambda: window.form_for(original.id) is not None, timeout=5000)
        form = window.form_for(original.id)
        form.call.summary.setFocus()
        form.call.summary.end(False)
        QTest.keyClicks(form.call.summary, " (typed during the outage)")

        proxy.go_silent()
        with qtbot.waitSignal(form.save_failed, timeout=10_000) as failed:
            form.save()
        assert failed.args[0].startswith("Not sent yet: the shared database did not answer within 1 s")
        assert "PENDING-0001" in failed.args[0]
        assert window.outage_banner.isVisible()
        assert "1 call waiting to be sent" in window.outage_banner.text()
        assert not form.has_unsaved_changes()  # kept in the journal, on this computer

        proxy.resume()
        qtbot.waitUntil(lambda: not window.outage_banner.isVisible(), timeout=15_000)
        stored = calls.get_call(pg_db, admin, original.id)
        assert stored.data.summary == original.data.summary + " (typed during the outage)"
        assert stored.version == 2
        assert form.status.text() == f"Sent to the shared database: {original.reference}"
        # The form is at the new version: the next save is an ordinary one, not a conflict.
        QTest.keyClicks(form.call.summary, "!")
        with qtbot.waitSignal(form.saved, timeout=10_000) as saved:
            form.save()
        assert saved.args[0].version == 3
        assert dataclasses.replace(saved.args[0].data).summary.endswith("outage)!")
    finally:
        proxy.resume()
        shared.dispose()


def test_calls_journaled_by_an_app_killed_during_the_outage_are_sent_once_in_order_at_the_next_start(
    qtbot: QtBot,
    pg_db: Database,
    request: pytest.FixtureRequest,
    proxy: TcpProxy,
    tasks: TaskRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's outage test "also with the app killed during the outage": a real app process
    saves three calls while the shared database is unreachable (journaled), has a fourth typed
    and not saved, and is killed with SIGKILL. The database comes back; at the next start the
    three are sent by themselves, each exactly once, in the order they were saved, and only the
    unsaved fourth is offered as a draft."""
    from sqlalchemy import select

    from supportline.bootstrap import load_environment
    from supportline.db.models import AuditEvent, Call
    from supportline.services import accounts, drafts
    from supportline.services.drafts import DraftRecord
    from supportline.sync.local_drafts import LocalDrafts
    from supportline.sync.local_store import LOCAL_FILE
    from tests.factories import PASSWORD
    from tests.ui.outage_child import NAME, Child
    from ui.main_window import MainWindow, QuitChoice
    from ui.views.drafts_dialog import DraftChoice

    schema: str = request.getfixturevalue("_pg_schema")
    make_admin(pg_db)
    through = make_url(PG_URL).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    child = Child("journal", through, PASSWORD, schema)
    child.read_until("SIGNED_IN")
    proxy.go_silent()  # the shared database becomes unreachable
    child.go_on()
    title = child.read_until("READY")
    journaled = [line.split()[1:] for line in child.lines if line.startswith("JOURNALED")]
    assert [provisional for _id, provisional in journaled] == ["PENDING-0001", "PENDING-0002", "PENDING-0003"]
    assert child.kill() == -signal.SIGKILL
    with pg_db.read() as session:
        assert session.scalars(select(Call.id)).all() == []  # nothing reached it

    proxy.resume()  # the database is back; the app is started again
    env = load_environment()
    shared = create_database(make_url(through), schema=schema, timeouts=SHORT)
    offered: list[list[DraftRecord]] = []

    def ask_drafts(
        _window: MainWindow, found: list[DraftRecord]
    ) -> tuple[DraftChoice, tuple[DraftRecord, ...]]:
        offered.append(list(found))
        return DraftChoice.LATER, ()

    monkeypatch.setattr(MainWindow, "ask_drafts", ask_drafts)
    actor = accounts.authenticate(shared, "ada.admin", PASSWORD)
    window = MainWindow(env, shared, actor, tasks=tasks)
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.outage_banner.isVisible()  # left from before the crash, being sent
        assert window.outage_banner.text().startswith("3 calls kept on this computer waiting to be sent")
        qtbot.waitUntil(lambda: window.outage.journal.count() == 0, timeout=30_000)
        qtbot.waitUntil(lambda: not window.outage_banner.isVisible(), timeout=5_000)
        with pg_db.read() as session:
            stored = dict(session.execute(select(Call.id, Call.reference)).all())
            created = session.scalars(
                select(AuditEvent.record_id).where(AuditEvent.action == "call.create")
            ).all()
        ids = [uuid.UUID(call_id) for call_id, _provisional in journaled]
        assert sorted(stored) == sorted(ids)  # all of them, and nothing else
        assert [stored[i] for i in ids] == ["SL-2026-000001", "SL-2026-000002", "SL-2026-000003"]  # in order
        assert sorted(created) == sorted(str(i) for i in ids)  # each created exactly once
        assert [calls.get_call(pg_db, actor, i).data.summary for i in ids] == [
            f"Journaled call {n}" for n in range(3)
        ]

        with qtbot.waitSignal(window.drafts_checked, timeout=20_000):
            window.offer_drafts()
        [found] = offered
        assert [d.title for d in found] == [title]  # the unsaved fourth only
        assert call_codec.from_jsonable(found[0].payload["call"]).caller.name == NAME
        tasks.wait_until_idle()
        assert [d.title for d in drafts.list_drafts(pg_db, actor)] == [title]  # moved to the database
        assert LocalDrafts(env.paths.data_dir / LOCAL_FILE).local_drafts(actor) == ()
        monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.KEEP_DRAFTS)
        window.close()
    finally:
        tasks.wait_until_idle()
        shared.dispose()


def test_the_banner_says_since_when_retries_with_back_off_and_the_list_says_it_may_be_incomplete(
    qtbot: QtBot,
    pg_db: Database,
    request: pytest.FixtureRequest,
    proxy: TcpProxy,
    make_window: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing saved during the outage, only reading: the list's load fails, the banner names since
    when the database is unreachable, the list and a search say they may be incomplete, the retry
    backs off (doubling), and when the database is back the banner goes and the list reloads."""
    from datetime import UTC, datetime

    from ui import outage

    monkeypatch.setattr(outage, "FIRST_RETRY_MS", 100)
    schema: str = request.getfixturevalue("_pg_schema")
    admin = make_admin(pg_db)
    calls.save_call(pg_db, admin, full_call())
    shared = create_database(
        make_url(PG_URL).set(host="127.0.0.1", port=proxy.port), schema=schema, timeouts=SHORT
    )
    try:
        window = make_window(shared, admin)  # type: ignore[operator]
        assert window.calls_tab.count_label.text() == "Calls · 1 in total"
        assert not window.outage_banner.isVisible()

        proxy.refuse()  # the server stops
        before = datetime.now(UTC).astimezone(shared.zone)
        window.refresh()  # F5
        qtbot.waitUntil(lambda: window.outage_banner.isVisible(), timeout=10_000)
        after = datetime.now(UTC).astimezone(shared.zone)
        text = window.outage_banner.text()
        assert text in {
            f"Shared database unreachable since {t:%H:%M} — lists and searches may be incomplete"
            for t in (before, after)
        }
        assert window.outage.since is not None
        assert window.calls_tab.empty_title.text() == "The calls could not be loaded"
        assert (
            window.calls_tab.count_label.text()
            == "Calls — may be incomplete: the shared database cannot be reached"
        )
        # The retry backs off: each try that finds it away doubles the wait (up to a minute).
        qtbot.waitUntil(lambda: window.outage.failed_tries >= 4, timeout=10_000)
        tries = window.outage.failed_tries
        assert window.outage.delay_ms == min(100 * 2**tries, outage.LONGEST_RETRY_MS)

        # A search during the outage says it could not run, and the banner stays.
        window.calls_tab.filters.search.setText("car wash")
        qtbot.waitUntil(lambda: "could not be loaded" in window.calls_tab.empty_title.text(), timeout=10_000)
        assert "refuses connections" in window.calls_tab.empty_text.text()
        assert window.outage_banner.isVisible()
        window.calls_tab.filters.search.setText("")
        qtbot.waitUntil(lambda: window.calls_tab.model.error != "", timeout=10_000)

        proxy.accept_again()  # the server is back
        qtbot.waitUntil(lambda: not window.outage_banner.isVisible(), timeout=10_000)
        assert window.outage.since is None and window.outage.delay_ms == 100
        qtbot.waitUntil(lambda: window.calls_tab.count_label.text() == "Calls · 1 in total", timeout=10_000)
    finally:
        shared.dispose()


def test_a_journaled_save_that_conflicts_when_sent_after_a_restart_opens_the_conflict_view(
    qtbot: QtBot, pg_db: Database, make_window: object
) -> None:
    """The form of the journaled save is gone (the app was restarted); when the push finds someone
    else's change, the call opens in a form with the conflict view; keeping mine and saving
    again stores it at the next version and the journal is done with it."""
    from PySide6.QtCore import Qt

    from supportline.bootstrap import load_environment
    from supportline.sync.journal import Journal
    from supportline.sync.local_store import LOCAL_FILE
    from ui.views.conflict import ConflictDialog

    admin = make_admin(pg_db)
    saved = calls.save_call(pg_db, admin, full_call(status=CallStatus.OPEN, closed_at=None, routes=()))
    journal = Journal(load_environment().paths.data_dir / LOCAL_FILE)
    journal.add(admin, dataclasses.replace(saved.data, summary="mine, typed offline"), expected_version=1)
    calls.save_call(
        pg_db, admin, dataclasses.replace(saved.data, narrative="theirs, meanwhile"), expected_version=1
    )

    window = make_window(pg_db, admin)  # type: ignore[operator]
    qtbot.waitUntil(lambda: window.form_for(saved.id) is not None, timeout=15_000)
    form = window.form_for(saved.id)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in form.findChildren(ConflictDialog)), timeout=5_000)
    [dialog] = [d for d in form.findChildren(ConflictDialog) if d.isVisible()]
    assert dialog.value_text("summary", "yours") == "mine, typed offline"
    assert dialog.value_text("narrative", "theirs") == "theirs, meanwhile"
    assert not window.outage_banner.isVisible()  # nothing else waits: the database answers
    QTest.mouseClick(dialog.keep_yours_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(form.saved, timeout=10_000) as done:
        form.save()
    assert done.args[0].version == 3
    assert calls.get_call(pg_db, admin, saved.id).data.summary == "mine, typed offline"
    qtbot.waitUntil(lambda: journal.count() == 0, timeout=5_000)


def test_a_journaled_save_overtaken_by_another_workstation_opens_the_conflict_view_in_its_open_form(
    qtbot: QtBot, pg_db: Database, request: pytest.FixtureRequest, proxy: TcpProxy, make_window: object
) -> None:
    from ui.views.conflict import ConflictDialog

    schema: str = request.getfixturevalue("_pg_schema")
    admin = make_admin(pg_db)
    original = calls.save_call(pg_db, admin, full_call(status=CallStatus.OPEN, closed_at=None, routes=()))
    shared = create_database(
        make_url(PG_URL).set(host="127.0.0.1", port=proxy.port), schema=schema, timeouts=SHORT
    )
    try:
        window = make_window(shared, admin)  # type: ignore[operator]
        window.open_call(original.id)
        qtbot.waitUntil(lambda: window.form_for(original.id) is not None, timeout=5000)
        form = window.form_for(original.id)
        form.call.summary.setText("mine, during the outage")
        proxy.go_silent()
        with qtbot.waitSignal(form.save_failed, timeout=10_000):
            form.save()
        assert window.outage.journal.count() == 1
        # Another workstation, still connected, saves the same call meanwhile.
        calls.save_call(
            pg_db, admin, dataclasses.replace(original.data, summary="theirs"), expected_version=1
        )
        with qtbot.waitSignal(form.conflict_opened, timeout=20_000) as opened:
            proxy.resume()
        dialog = opened.args[0]
        assert isinstance(dialog, ConflictDialog)
        assert (dialog.value_text("summary", "theirs"), dialog.value_text("summary", "yours")) == (
            "theirs",
            "mine, during the outage",
        )
        assert form.has_unsaved_changes()  # nothing typed is lost
        dialog.keep_yours_button.click()
        with qtbot.waitSignal(form.saved, timeout=10_000) as saved:
            form.save()
        assert (saved.args[0].version, saved.args[0].data.summary) == (3, "mine, during the outage")
        assert window.outage.journal.count() == 0
        assert not window.outage_banner.isVisible()
    finally:
        proxy.resume()
        shared.dispose()
