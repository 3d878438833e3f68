"""Working through an outage (issue 13, item 5), in the window: a save the shared database does
not take goes to the local journal, the banner says how many wait, and they are sent by
themselves when the database is back."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from sqlalchemy.engine import make_url

from supportline.db import Database, Timeouts, create_database
from supportline.enums import CallStatus
from supportline.services import calls
from tests.conftest import PG_URL
from tests.db.tcp_proxy import TcpProxy
from tests.factories import full_call, make_admin

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
