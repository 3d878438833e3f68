"""Take the outage banner's screenshot (issue 13) from the real window, on a shared database.

The set-up is ``take_screenshots.py``'s (its ``Session``), with a PostgreSQL demo database
configured instead of the SQLite file; the database is then made unreachable for real, by a
local TCP proxy in front of it that stops forwarding (``tests/db/tcp_proxy.py``)::

    export SUPPORTLINE_HOME=$(mktemp -d)
    export SUPPORTLINE_DB_URL='postgresql://postgres@127.0.0.1/test?options=-csearch_path%3Dsl_shots'
    psql -h 127.0.0.1 -U postgres test -c 'CREATE SCHEMA sl_shots'
    supportline db upgrade
    echo "a demo password here" | supportline demo --calls 300 --seed 11 --password-stdin
    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb \\
        python docs/screenshots/take_outage_screenshot.py docs/screenshots "a demo password here"

Two calls are typed and saved while the database is away (they go to the journal: the banner
counts them) and a third is left typed, its draft kept on this computer. Then the proxy forwards
again: the two calls are sent (the demo database keeps them), the third form's draft is
discarded, and the window's layout is cleared.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from take_screenshots import Session  # noqa: E402

from supportline.bootstrap import database_url  # noqa: E402
from supportline.db import Timeouts, create_database  # noqa: E402
from supportline.enums import AgencyType, Urgency  # noqa: E402
from supportline.services import accounts  # noqa: E402
from tests.db.tcp_proxy import TcpProxy  # noqa: E402
from ui.views.call_form import CallForm  # noqa: E402

CALLS = (
    ("DC Priya Hallam", "Northumbria Police", "Two women at a nail bar, passports held by the owner"),
    ("PC Gethin Morcambe", "Dyfed-Powys Police", "Farm workers sleeping in a barn, wages withheld"),
)
UNSAVED = ("DS Ottoline Pengelly", "Thames Valley Police", "Boy, 15, found with a county lines phone")


def main(out: str, password: str) -> None:
    session = Session(out)
    url = database_url(session.env.settings, session.env.paths)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("configure a PostgreSQL demo database first (see this script's docstring)")
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        db = create_database(
            url.set(host="127.0.0.1", port=proxy.port),
            zone=session.env.settings.zone,
            timeouts=Timeouts(connect_s=2, write_s=2, read_s=3, network_s=3),
        )
        actor = accounts.authenticate(db, "demo-operator", password)
        window = session.main_window(db, actor)

        def typed(name: str, force: str, summary: str) -> CallForm:
            form = window.new_call()
            session.pump(0.3)
            QTest.keyClicks(form.caller.name, name)
            form.caller.agency.set_value(AgencyType.POLICE)
            form.caller.organisation.setText(force)
            form.call.urgency.set_value(Urgency.URGENT)
            form.call.summary.setFocus()
            QTest.keyClicks(form.call.summary, summary)
            return form

        proxy.go_silent()  # the shared database becomes unreachable
        for name, force, summary in CALLS:
            form = typed(name, force, summary)
            failed: list[str] = []
            form.save_failed.connect(failed.append)
            QTest.keyClick(form.call.summary, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
            session.wait(lambda failed=failed: bool(failed))  # type: ignore[misc]
        last = typed(*UNSAVED)
        last.flush_draft()
        session.wait(lambda: last.draft_kept == "computer")
        window.tabs.setCurrentWidget(window.forms()[1])  # a journaled call, its message on show
        session.wait(lambda: "2 calls waiting" in window.outage_banner.text())
        session.shot("outage-banner")

        proxy.resume()  # back: the journal is sent, the draft moves to the database
        session.wait(lambda: window.outage.journal.count() == 0, seconds=90)
        last.discard_draft()
        session.tasks.wait_until_idle()
        window.layout_store.clear()
        db.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:3])
