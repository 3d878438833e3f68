"""The start-up's sign-in: the configured system-use notice, and a reset password changed there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from supportline.db import Database
from supportline.enums import Role
from supportline.services import accounts
from supportline.services.accounts import UserRecord
from tests.factories import PASSWORD
from ui import app
from ui.views.first_admin import FirstAdminDialog
from ui.views.login import LoginDialog

NOTICE = "Authorised staff of the line only. Use is logged."


def test_the_start_shows_the_configured_notice_and_can_change_a_reset_password(
    qapp: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "show_error", lambda *a, **k: pytest.fail(f"unexpected error {a}"))
    config = Path(os.environ["SUPPORTLINE_HOME"]) / "config"
    config.mkdir()
    (config / "settings.toml").write_text(f'system_use_notice = "{NOTICE}"\n', encoding="utf-8")
    seen: list[tuple[str, bool]] = []
    opened: list[Database] = []

    def first_admin(db: Database, **_kw: object) -> UserRecord:
        opened.append(db)
        record = accounts.create_first_admin(db, "femi.okonkwo", "Femi Okonkwo", PASSWORD)
        admin = accounts.actor_for(record)
        accounts.create_user(
            db, admin, "olu.operator", "Olu Operator", Role.OPERATOR, "Bramble-gate-at-noon",
            must_change_password=True,
        )  # fmt: skip
        return record

    def wait(dialog: LoginDialog) -> None:
        seen.append((dialog.notice.text(), dialog.can_change_password))
        return None  # the person gives up: the program ends

    monkeypatch.setattr(FirstAdminDialog, "ask", first_admin)
    monkeypatch.setattr(LoginDialog, "wait", wait)
    assert app.run([]) == 0
    assert seen == [(NOTICE, True)]
