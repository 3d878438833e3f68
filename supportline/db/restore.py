"""Putting a copy of the local SQLite database back: ``supportline db restore PATH``.

The copy is checked before anything changes: it must be a SQLite file that passes ``PRAGMA
integrity_check`` and holds a Supportline schema this program knows (an older revision is
migrated, a newer or unknown one refused). It is prepared beside the database (a private staging
file: copied, checked, migrated, the restore recorded in its audit trail) and only then swapped
in; the current file is not deleted but renamed ``<name>-before-restore-<UTC time>.db`` (with its
``-wal``), so a restore can itself be undone. A database some program has open is refused: with
WAL, every open connection holds a shared lock that an exclusive-mode connection cannot get past,
so an app left running here (or a ``sqlite3`` shell) is found, idle or not.

A shared PostgreSQL database is restored on its server with ``pg_restore``
(docs/administration.md, "Backups and restore"), never by this module. Restoring is an
operating-system task like ``db upgrade`` and ``db backup`` (no sign-in: the files are the
owner's, mode 0600 in a 0700 folder); its outcome is audited, refusals in the current database
and a restore in the restored one, with the operating-system account that ran it.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from supportline.private_files import SQLITE_COMPANIONS, private_file, private_folder

log = logging.getLogger(__name__)

ACTION = "database.restore"


class RestoreError(RuntimeError):
    """The restore was refused or failed; the current database is as it was.

    ``reason`` is a short code for the audit trail (``damaged``, ``newer``, ``in use``, …)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class CopyCheck:
    revision: str
    calls: int


@dataclass(frozen=True)
class RestoreResult:
    database: Path
    copy: Path
    #: The database that was replaced, renamed; None when there was none.
    kept_aside: Path | None
    #: The copy's schema revision, and the one it was migrated to (equal when it was current).
    revision: str
    migrated_to: str
    calls: int
    #: Erasures recorded in the replaced database that the copy does not hold: their data is back.
    erasures_undone: int


def known_revisions() -> list[str]:
    """Every schema revision this program has a migration for, oldest first."""
    from alembic.script import ScriptDirectory

    from supportline.db.migrate import _config

    scripts = ScriptDirectory.from_config(_config()).walk_revisions()  # newest first
    return [script.revision for script in reversed(list(scripts))]


def database_in_use(database: Path) -> bool:
    """Whether some connection has ``database`` open (any process). In WAL mode an open
    connection keeps a shared lock on the database, which an exclusive-mode connection cannot
    take; without WAL an idle connection holds no lock and cannot be seen (False)."""
    if not database.exists():
        return False
    probe = sqlite3.connect(f"file:{database}?mode=rw", uri=True, timeout=0, isolation_level=None)
    try:
        probe.execute("PRAGMA locking_mode=EXCLUSIVE")
        probe.execute("BEGIN EXCLUSIVE")
        probe.execute("SELECT count(*) FROM sqlite_master").fetchall()
        probe.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return True
        raise
    finally:
        probe.close()
    return False


def check_copy(path: Path, shown: Path | None = None) -> CopyCheck:
    """Open ``path`` and check it as a copy to restore: integrity, then schema revision. Messages
    name ``shown`` (the file the person gave, when ``path`` is a staged copy of it)."""
    name = shown or path
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=5, isolation_level=None)
    except sqlite3.Error as exc:
        raise RestoreError(f"{name} cannot be opened: {exc}", "unreadable") from exc
    try:
        try:
            rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check(20)")]
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc):
                raise RestoreError(f"{name} is not a SQLite database ({exc})", "damaged") from exc
            raise RestoreError(
                f"{name} is damaged: PRAGMA integrity_check could not finish ({exc})", "damaged"
            ) from exc
        if rows != ["ok"]:
            lines = [x for row in rows for x in row.splitlines() if x and not x.startswith("***")]
            found = "; ".join(lines[:3]) + (" …" if len(lines) > 3 else "")
            raise RestoreError(f"{name} is damaged: PRAGMA integrity_check found {found}", "damaged")
        try:
            versions = [str(row[0]) for row in conn.execute("SELECT version_num FROM alembic_version")]
        except sqlite3.DatabaseError:
            versions = []
        if len(versions) != 1:
            raise RestoreError(
                f"{name} is not a Supportline database (it has no schema revision)", "not supportline"
            )
        revision = versions[0]
        known = known_revisions()
        if revision not in known:
            newer = revision.isdigit() and all(k.isdigit() for k in known) and int(revision) > int(known[-1])
            what = "newer than" if newer else "unknown to"
            raise RestoreError(
                f"{name} is at schema revision {revision}, {what} this version of Supportline (which "
                f"knows up to {known[-1]}): restore it with the version that wrote it, or upgrade "
                "Supportline first",
                "newer" if newer else "unknown revision",
            )
        calls = int(conn.execute("SELECT count(*) FROM calls").fetchone()[0])
    finally:
        conn.close()
    return CopyCheck(revision=revision, calls=calls)


def _erasure_ids(path: Path) -> set[str] | None:
    """The ids of the erasure records in ``path``; None when it cannot be read."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        return {str(row[0]) for row in conn.execute("SELECT id FROM erasure_records")}
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


def operator() -> str:
    """Who ran the restore, for the audit trail: the operating-system account."""
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):
        return "system"


def _audit(database: Path, *, outcome: str, reason: str) -> bool:
    """One ``database.restore`` event in ``database``; False when it could not be written."""
    from supportline.db.engine import create_database
    from supportline.enums import AuditCategory
    from supportline.services import audit

    db = create_database(f"sqlite:///{database}")
    try:
        with db.write() as session:
            audit.record(
                session, None, AuditCategory.ALTERATION, ACTION, "database", "",
                outcome=outcome, actor_name=operator(), reason=reason,
            )  # fmt: skip
        return True
    except Exception:  # the refusal stands whether or not it could be recorded
        log.warning("the refused restore could not be recorded in the current database", exc_info=True)
        return False
    finally:
        db.dispose()


def refuse(database: Path, error: RestoreError) -> None:
    """Record the refusal in the current database, if there is one (in WAL mode this writer gets
    in even while the app has it open)."""
    if database.exists():
        _audit(database, outcome="refused", reason=error.reason)


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def _companions(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS]


def restore_sqlite(copy: Path, database: Path, *, now: datetime | None = None) -> RestoreResult:
    """Replace ``database`` by the checked (and if need be migrated) ``copy``; see the module."""
    copy = Path(copy).expanduser()
    database = Path(database)
    try:
        return _restore(copy, database, now)
    except RestoreError as exc:
        refuse(database, exc)
        raise


def _restore(copy: Path, database: Path, now: datetime | None) -> RestoreResult:
    if not copy.is_file():
        raise RestoreError(f"{copy} is not a file", "no copy")
    if database.exists() and copy.resolve() == database.resolve():
        raise RestoreError(f"{copy} is the database itself", "same file")
    if database_in_use(database):
        raise RestoreError(
            f"{database} is in use: close Supportline (and any other program using the database) on this "
            "computer, then restore again",
            "in use",
        )
    private_folder(database.parent, tighten=False)
    stage = database.with_name(f".{database.name}.restoring-{os.getpid()}")
    try:
        result = _prepare(copy, stage, database)
        kept = _swap(stage, database, now)
    finally:
        for leftover in (stage, *_companions(stage)):
            with contextlib.suppress(OSError):
                leftover.unlink()
    return RestoreResult(
        database=database,
        copy=copy,
        kept_aside=kept,
        revision=result[0],
        migrated_to=result[1],
        calls=result[2],
        erasures_undone=result[3],
    )


def _prepare(copy: Path, stage: Path, database: Path) -> tuple[str, str, int, int]:
    """The copy, staged beside the database: checked, migrated, the restore audited in it."""
    from supportline.db.engine import create_database
    from supportline.db.migrate import current_revision, upgrade
    from supportline.db.schema_version import MigrationError

    private_file(stage)
    try:
        shutil.copyfile(copy, stage)
        wal = copy.with_name(copy.name + "-wal")
        if wal.is_file() and wal.stat().st_size:  # a file copied while in use: its WAL holds the rest
            private_file(stage.with_name(stage.name + "-wal"))
            shutil.copyfile(wal, stage.with_name(stage.name + "-wal"))
    except OSError as exc:
        raise RestoreError(f"{copy} cannot be copied beside {database}: {exc}", "unreadable") from exc
    checked = check_copy(stage, shown=copy)
    # Which copy it was, by when it was written (its name is the administrator's and may say anything).
    written_at = datetime.fromtimestamp(copy.stat().st_mtime, UTC).isoformat(timespec="seconds")
    db = create_database(f"sqlite:///{stage}")
    try:
        try:
            upgrade(db)  # nothing when it is current; the copy itself is the copy from before
        except MigrationError as exc:
            raise RestoreError(
                f"{copy} could not be brought to this version's schema: {exc}", "migration"
            ) from exc
        migrated_to = current_revision(db) or checked.revision
        current_ids = _erasure_ids(database) if database.exists() else set()
        copy_ids = _erasure_ids(stage) or set()
        undone = len((current_ids or set()) - copy_ids)
        from supportline.enums import AuditCategory
        from supportline.services import audit

        with db.write() as session:
            audit.record(
                session, None, AuditCategory.ALTERATION, ACTION, "database", "",
                actor_name=operator(), copy_revision=checked.revision, copy_written_at=written_at,
                migrated_to=migrated_to, calls=checked.calls, erasures_undone=undone,
            )  # fmt: skip
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.dispose()
    return checked.revision, migrated_to, checked.calls, undone


def _swap(stage: Path, database: Path, now: datetime | None) -> Path | None:
    """The staged copy in place of ``database``, which is renamed aside (with its companions)."""
    if database_in_use(database):  # opened while the copy was being prepared
        raise RestoreError(
            f"{database} was opened while the copy was prepared: close it and try again", "in use"
        )
    kept: Path | None = None
    moved: list[tuple[Path, Path]] = []
    if database.exists():
        kept = database.with_name(f"{database.stem}-before-restore-{_stamp(now)}{database.suffix}")
        # The WAL (committed changes not yet in the file) goes with it; the -shm is only its index.
        with contextlib.suppress(OSError):
            database.with_name(database.name + "-shm").unlink()
        pairs = [(database, kept), *zip(_companions(database), _companions(kept), strict=True)]
        try:
            for source, target in pairs:
                if source.exists():
                    os.rename(source, target)
                    moved.append((source, target))
        except OSError as exc:
            _undo(moved)
            raise RestoreError(f"{database} could not be renamed aside: {exc}", "swap") from exc
    try:
        os.replace(stage, database)
    except OSError as exc:
        _undo(moved)
        raise RestoreError(f"the copy could not be put in place of {database}: {exc}", "swap") from exc
    return kept


def _undo(moved: list[tuple[Path, Path]]) -> None:
    for source, target in reversed(moved):
        with contextlib.suppress(OSError):
            os.rename(target, source)
