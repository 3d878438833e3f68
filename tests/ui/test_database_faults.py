"""Full disk, read-only database (issue 13, item 7), in the call form: the message names the
cause, the form and its draft are intact (the draft kept on this computer while the database
takes none), and saving works once the problem is put right.

SQLite: the operator saves again by hand. PostgreSQL: the save goes to the journal and is sent
by itself when the server has room again.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from supportline.bootstrap import load_environment
from supportline.db import Database
from supportline.enums import AgencyType
from supportline.services import calls, drafts
from supportline.sync.local_drafts import LocalDrafts
from supportline.sync.local_store import LOCAL_FILE
from tests.db.faults import SqliteMode, away_database
from tests.factories import make_admin

LONG = "Four men sleeping in the back room of a car wash; passports held by the manager. " * 300


def _typed_form(qtbot: QtBot, window: object) -> object:
    window.new_call()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.current_form() is not None, timeout=5_000)  # type: ignore[attr-defined]
    form = window.current_form()  # type: ignore[attr-defined]
    QTest.keyClicks(form.caller.name, "DS Ottoline Pengelly")
    form.caller.agency.set_value(AgencyType.POLICE)
    form.call.summary.setFocus()
    QTest.keyClicks(form.call.summary, "Men held at a car wash")
    form.call.narrative.setPlainText(LONG)  # big enough to need new pages of the file
    return form


@pytest.mark.parametrize(
    ("mode", "cause"),
    [
        ("read-only", "the local database file is read-only"),
        ("full", "the disk holding the local database file is full"),
    ],
)
def test_a_read_only_or_full_local_database_keeps_the_form_and_its_draft_and_saves_once_put_right(
    qtbot: QtBot,
    sqlite_db: Database,
    request: pytest.FixtureRequest,
    make_window: object,
    mode: SqliteMode,
    cause: str,
) -> None:
    admin = make_admin(sqlite_db)
    local = LocalDrafts(load_environment().paths.data_dir / LOCAL_FILE)
    with away_database(sqlite_db, request, mode=mode) as away:
        window = make_window(sqlite_db, admin)  # type: ignore[operator]
        form = _typed_form(qtbot, window)
        away.go_away()
        with qtbot.waitSignal(form.save_failed, timeout=10_000) as failed:
            QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        message = failed.args[0]
        assert message.startswith(f"Not saved: {cause}")
        assert "Everything you typed is kept here and in the draft" in message
        assert form.message.text() == message  # on show, in the form
        data = form.call_data()
        assert (data.caller.name, data.summary, data.narrative) == (
            "DS Ottoline Pengelly",
            "Men held at a car wash",
            LONG,
        )
        assert form.has_unsaved_changes()
        # The draft is written at once, to this computer (the database takes no drafts either).
        qtbot.waitUntil(lambda: form.draft_kept == "computer", timeout=10_000)
        assert "Draft kept on this computer" in form.status.text() and cause in form.status.text()
        [kept] = local.local_drafts(admin)
        assert kept.call_id == form.call_id()

        away.come_back()  # space freed, or the file made writable
        with qtbot.waitSignal(form.saved, timeout=10_000) as saved:
            form.save()
        assert calls.get_call(sqlite_db, admin, saved.args[0].id).data.narrative == LONG
        window._tasks.wait_until_idle()  # type: ignore[attr-defined]
        assert local.local_drafts(admin) == () and drafts.list_drafts(sqlite_db, admin) == ()


@pytest.mark.postgres
def test_a_shared_database_server_with_a_full_disk_journals_the_save_and_sends_it_when_it_has_room(
    qtbot: QtBot, pg_db: Database, make_window: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui import outage

    monkeypatch.setattr(outage, "FIRST_RETRY_MS", 200)
    admin = make_admin(pg_db)
    window = make_window(pg_db, admin)  # type: ignore[operator]
    form = _typed_form(qtbot, window)
    with pg_db.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION sl_test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'could not extend file: No space left on device' "
                "USING ERRCODE = 'disk_full'; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER sl_test_disk_full BEFORE INSERT ON calls "
                "FOR EACH ROW EXECUTE FUNCTION sl_test_disk_full()"
            )
        )
    try:
        with qtbot.waitSignal(form.save_failed, timeout=10_000) as failed:
            form.save()
        assert failed.args[0].startswith(
            "Not sent yet: the server of the shared database has no disk space left (its administrator "
            "must free some). The call is kept on this computer as PENDING-0001"
        )
        assert "1 call waiting to be sent" in window.outage_banner.text()
        qtbot.wait(600)  # a try or two while the disk is still full: nothing is lost
        assert window.outage.journal.count() == 1
        with pg_db.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER sl_test_disk_full ON calls"))  # room again
        qtbot.waitUntil(lambda: window.outage.journal.count() == 0, timeout=20_000)
        qtbot.waitUntil(
            lambda: form.status.text().startswith("Sent to the shared database: SL-"), timeout=5_000
        )
        assert calls.get_call(pg_db, admin, form.call_id()).data.narrative == LONG
    finally:
        with pg_db.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER IF EXISTS sl_test_disk_full ON calls"))
            conn.execute(text("DROP FUNCTION IF EXISTS sl_test_disk_full()"))
