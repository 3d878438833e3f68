"""Throw-away PostgreSQL clusters for the failover test: a primary made with ``initdb`` and a hot
standby made from it with ``pg_basebackup -R``, each on a free local port, in a temporary folder.

They never touch the test server on 5432. ``initdb`` and the server refuse to run as root, so as
root every command runs as the ``postgres`` OS user (``runuser -u postgres --``) in a folder that
user owns. The binaries are found in ``SUPPORTLINE_PG_BIN``, the newest
``/usr/lib/postgresql/*/bin`` or beside ``pg_ctl`` on the PATH.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

NEEDED = ("initdb", "pg_ctl", "pg_basebackup", "postgres")


def find_binaries() -> Path | None:
    """The folder holding PostgreSQL's server programs, or None."""
    candidates: list[Path] = []
    if os.environ.get("SUPPORTLINE_PG_BIN"):
        candidates.append(Path(os.environ["SUPPORTLINE_PG_BIN"]))

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in path.parent.name.split(".") if p.isdigit())

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if all((folder / name).is_file() for name in NEEDED):
            return folder
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """One data directory and the server running on it."""

    def __init__(self, bin_dir: Path, root: Path, name: str, port: int, as_user: list[str]) -> None:
        self.bin = bin_dir
        self.data = root / name
        self.log = root / f"{name}.log"
        self.sockets = root
        self.port = port
        self._as_user = as_user

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(
            [*self._as_user, str(self.bin / program), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.sockets,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{program} {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}\n"
                f"{self.log_text()}"
            )

    def initdb(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def basebackup_from(self, primary: Cluster) -> None:
        """A copy of ``primary`` set up to follow it as a hot standby (``-R``)."""
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(self.data), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip

    def start(self, *settings: str) -> None:
        options = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.sockets}",
            "-c max_connections=40",
            "-c shared_buffers=16MB",
            # A throw-away cluster on a shared CI machine: nothing here outlives the test, and no
            # test crashes the machine, so the WAL need not reach the disk platter.
            "-c fsync=off",
            "-c wal_level=replica",
            "-c max_wal_senders=4",
            "-c hot_standby=on",
            *(f"-c {s}" for s in settings),
        ]
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", " ".join(options), "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def promote(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "promote")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def log_text(self) -> str:
        try:
            return f"--- {self.log.name} ---\n{self.log.read_text(errors='replace')[-4000:]}"
        except OSError:
            return ""

    def kill(self) -> None:
        """Stop the server whatever state it is in (clean-up)."""
        if not self.running():
            return
        with contextlib.suppress(Exception):
            self.stop("immediate")
            return
        with contextlib.suppress(Exception):  # pg_ctl itself failed: end the postmaster by its pid
            pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)


@contextlib.contextmanager
def cluster_folder() -> Iterator[tuple[Path, list[str]]]:
    """A temporary folder the server's OS user owns, and the prefix that runs a command as it."""
    root = Path(tempfile.mkdtemp(prefix="sl-failover-"))
    as_user: list[str] = []
    # A run ended by SIGTERM (a CI time limit, `timeout`) still stops its servers: the signal
    # becomes an exception, so the callers' ``finally`` blocks run.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")  # KeyError: no postgres user to run the servers as
            os.chown(root, user.pw_uid, user.pw_gid)
            as_user = ["runuser", "-u", "postgres", "--"]
        yield root, as_user
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(root, ignore_errors=True)


def _terminated(signum: int, _frame: object) -> None:
    raise SystemExit(f"terminated by signal {signum}")
