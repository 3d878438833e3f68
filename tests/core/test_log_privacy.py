"""Application logs hold no personal data: a traceback shows where, not what.

A forced error whose message holds a canary is logged with its type and frames; the canary
never reaches the file, nor through a chained exception, a warning or a failed SQL statement.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from supportline import bootstrap, logging_setup
from tests.factories import make_admin


@pytest.fixture
def log_file() -> Iterator[Path]:
    root = logging.getLogger()

    def drop() -> None:
        for handler in list(root.handlers):
            if isinstance(handler, logging.FileHandler):
                root.removeHandler(handler)
                handler.close()

    drop()
    env = bootstrap.load_environment()
    yield bootstrap.configure_logging(env.paths, retention_days=90)
    drop()


def read(log_file: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return log_file.read_text(encoding="utf-8")


def canary() -> str:
    return f"Canary{uuid.uuid4().hex[:12]} 07700 900731"


def _validate(value: str) -> None:
    raise ValueError(f"not a phone number: {value}")


def test_a_forced_error_is_logged_as_type_and_frames_only(log_file: Path) -> None:
    marker = canary()
    try:
        _validate(marker)
    except ValueError:
        logging.getLogger("supportline.test").exception("saving a call failed")
    content = read(log_file)
    assert "saving a call failed" in content
    assert "ValueError (message not logged)" in content
    assert "in _validate" in content  # where: the frame is there
    assert marker not in content
    assert "Canary" not in content


def test_a_handler_that_formats_first_does_not_put_the_message_in_the_log(log_file: Path) -> None:
    """logging caches a record's formatted exception for every later handler: a console (or
    pytest's) handler with the standard formatter, ahead of ours, used to give the file its text."""
    root = logging.getLogger()
    console = logging.StreamHandler(open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    root.handlers.insert(0, console)  # before the file handler: it formats the record first
    marker = canary()
    try:
        try:
            _validate(marker)
        except ValueError:
            logging.getLogger("supportline.test").exception("saving a call failed")
    finally:
        root.removeHandler(console)
        console.stream.close()
    content = read(log_file)
    assert "ValueError (message not logged)" in content and "in _validate" in content
    assert marker not in content and "Canary" not in content


def test_chained_exceptions_lose_their_messages_too(log_file: Path) -> None:
    marker = canary()
    try:
        try:
            _validate(marker)
        except ValueError as exc:
            raise RuntimeError(f"could not save {marker}") from exc
    except RuntimeError:
        logging.getLogger("supportline.test").error("failed", exc_info=True)
    content = read(log_file)
    assert "ValueError (message not logged)" in content
    assert "RuntimeError (message not logged)" in content
    assert "direct cause" in content
    assert "Canary" not in content


def test_a_warning_is_logged_without_its_text(log_file: Path) -> None:
    marker = canary()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logging_setup.configure(log_file.parent, retention_days=90)  # (re)installs the warning hook
        warnings.warn(f"could not convert {marker}", UserWarning, stacklevel=1)
    content = read(log_file)
    assert "UserWarning at" in content
    assert "Canary" not in content


def test_a_failed_statement_shows_no_parameters(log_file: Path, sqlite_db) -> None:
    make_admin(sqlite_db, "ada.admin")
    marker = canary()
    with pytest.raises(IntegrityError) as caught, sqlite_db.write() as session:
        session.execute(
            text("INSERT INTO users (id, username, display_name, role, password_hash, active, is_demo, "
                 "failed_logins, created_at, version) SELECT id, username, :name, role, password_hash, "
                 "active, is_demo, failed_logins, created_at, version FROM users"),
            {"name": marker},
        )  # fmt: skip
    assert "Canary" not in str(caught.value)  # hide_parameters: not even in the exception
    logging.getLogger("supportline.test").exception("database error", exc_info=caught.value)
    assert "Canary" not in read(log_file)


def test_old_rotated_logs_are_deleted(tmp_path: Path) -> None:
    old = tmp_path / "supportline.log.2026-08-01"
    recent = tmp_path / "supportline.log.2026-11-30"
    current = tmp_path / "supportline.log"
    for path in (old, recent, current):
        path.write_text("x", encoding="utf-8")
    now = time.time()
    os.utime(old, (now - 91 * 86_400, now - 91 * 86_400))
    os.utime(recent, (now - 3 * 86_400, now - 3 * 86_400))
    assert logging_setup.prune_logs(tmp_path, 90, now=now) == [old]
    assert not old.exists()
    assert recent.exists() and current.exists()


def test_configuring_logging_prunes_by_the_setting(log_file: Path) -> None:
    old = log_file.with_name("supportline.log.2026-01-01")
    old.write_text("x", encoding="utf-8")
    past = time.time() - 11 * 86_400
    os.utime(old, (past, past))
    logging_setup.configure(log_file.parent, retention_days=10)
    assert not old.exists()
