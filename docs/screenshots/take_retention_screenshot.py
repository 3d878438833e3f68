"""The retention review window, from the real dialog, on a fresh database of fictitious calls.

    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb SUPPORTLINE_HOME=$(mktemp -d) \\
        python docs/screenshots/take_retention_screenshot.py docs/screenshots
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QApplication

from supportline.bootstrap import load_environment, migrate, open_database
from supportline.services import accounts, retention
from supportline.services.calls import save_call
from tests.factories import full_call
from ui import style
from ui.tasks import TaskRunner
from ui.views.retention import RetentionDialog


def main(out: str) -> None:
    app = QApplication(["supportline"])
    style.apply(app)
    env = load_environment()
    db = open_database(env)
    migrate(env, db)
    admin = accounts.actor_for(
        accounts.create_first_admin(db, "ada.admin", "Ada Admin", "Saffron-kettle-41-dune")
    )
    first = datetime(2026, 1, 5, 9, tzinfo=UTC)
    saved = [
        save_call(db, admin, full_call(opened_at=first + timedelta(days=9 * i), follow_ups=()))
        for i in range(6)
    ]
    save_call(db, admin, full_call(opened_at=first + timedelta(days=20)))  # a follow-up not done
    with db.read() as session:
        from sqlalchemy import select

        from supportline.db.models import Call, Case

        case = session.scalar(
            select(Case.reference).join(Call, Call.case_id == Case.id).where(Call.id == saved[2].id)
        )
    retention.place_hold(db, admin, str(case), "Preservation order 2026/117")
    tasks = TaskRunner()
    dialog = RetentionDialog(env, db, admin, tasks)
    dialog.as_of.setDate(QDate(2032, 6, 1))
    dialog.show()
    dialog.refresh()
    end = time.monotonic() + 20
    while dialog.review_result is None and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    for _ in range(30):
        app.processEvents()
        time.sleep(0.02)
    dialog.grab().save(f"{out}/retention-review.png")
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
