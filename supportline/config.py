"""Settings, paths and secrets.

Every setting is declared once, in :class:`Settings` (type, default and a line of help). The
settings file is TOML in the platform config folder; ``SUPPORTLINE_HOME`` moves config, data and
logs under one folder (tests, portable installs) and ``SUPPORTLINE_DB_URL`` overrides the database.
Passwords never live in the settings file: the shared database's password comes from the OS
keyring or a prompt.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

if TYPE_CHECKING:
    # SQLAlchemy is imported when a URL is parsed, not with the settings: the GUI reads its
    # settings before anything else and shows the sign-in while SQLAlchemy loads (ui/app.py).
    from sqlalchemy.engine import URL

APP_NAME = "supportline"
SETTINGS_FILE = "settings.toml"
ENV_HOME = "SUPPORTLINE_HOME"
ENV_DB_URL = "SUPPORTLINE_DB_URL"
KEYRING_SERVICE = "supportline"
THEMES = ("system", "light", "dark", "high-contrast")


DEFAULT_SYSTEM_USE_NOTICE = (
    "This system is for authorised staff of the advice line only. It holds sensitive personal data: "
    "use it only for your work on the line. Every sign-in and every record you open, change or "
    "export is logged with your name, and may be checked. Misuse can lead to disciplinary action "
    "and prosecution (Computer Misuse Act 1990, Data Protection Act 2018)."
)


class ConfigError(ValueError):
    """A setting is unknown, of the wrong type or out of range; the message names the key."""


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    log_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / SETTINGS_FILE

    @property
    def default_database(self) -> Path:
        return self.data_dir / "supportline.db"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Paths:
        env = os.environ if environ is None else environ
        home = env.get(ENV_HOME)
        if home:
            root = Path(home).expanduser().resolve()
            return cls(root / "config", root / "data", root / "logs")
        return cls(
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    def ensure(self) -> None:
        from supportline.private_files import private_folder

        for folder in (self.config_dir, self.data_dir, self.log_dir):
            private_folder(folder)  # 0700: they hold call data, logs and settings


@dataclass(frozen=True)
class Settings:
    """The one registry of settings: name, type, default and help for each."""

    database_url: str = dataclasses.field(
        default="",
        metadata={
            "help": "SQLAlchemy URL of the database; empty means the local SQLite file in the data folder. "
            "For the shared database use postgresql+psycopg://user@host1,host2/dbname (no password here)."
        },
    )
    display_timezone: str = dataclasses.field(
        default="Europe/London", metadata={"help": "The line's time zone, used for everything shown."}
    )
    idle_lock_minutes: int = dataclasses.field(
        default=10, metadata={"help": "Lock the screen after this many idle minutes (1-240)."}
    )
    guidance_dir: str = dataclasses.field(
        default="", metadata={"help": "Folder of guidance templates; empty means the shipped samples."}
    )
    protective_marking: str = dataclasses.field(
        default="OFFICIAL-SENSITIVE", metadata={"help": "Marking printed on every exported page."}
    )
    max_failed_logins: int = dataclasses.field(
        default=5, metadata={"help": "Failed sign-ins in a row before an account is locked (1-100)."}
    )
    lockout_minutes: int = dataclasses.field(
        default=10,
        metadata={
            "help": "How long an account stays locked after max_failed_logins wrong passwords (1-1440); "
            "an administrator can unlock it sooner."
        },
    )
    system_use_notice: str = dataclasses.field(
        default=DEFAULT_SYSTEM_USE_NOTICE,
        metadata={"help": "Shown on the sign-in: who may use this system and that its use is recorded."},
    )
    sqlite_busy_timeout_ms: int = dataclasses.field(
        default=5000, metadata={"help": "How long SQLite waits for a lock held by another writer."}
    )
    backups_to_keep: int = dataclasses.field(
        default=10, metadata={"help": "Automatic pre-migration copies of the SQLite file to keep."}
    )
    daily_backup: bool = dataclasses.field(
        default=True,
        metadata={
            "help": "While the app runs, copy the local SQLite database once a day (online backup, "
            "taken in the background). A shared database is backed up on its server instead."
        },
    )
    daily_backups_to_keep: int = dataclasses.field(
        default=7, metadata={"help": "Daily copies to keep; older ones are removed (1-1000)."}
    )
    daily_backup_dir: str = dataclasses.field(
        default="",
        metadata={
            "help": "Folder of the daily copies (made private to its owner, mode 0700); "
            "empty means backups/daily in the data folder."
        },
    )
    # Time limits of the database (docs/architecture.md, "Bounded time on every database call").
    db_connect_timeout_s: int = dataclasses.field(
        default=5, metadata={"help": "Seconds to wait while connecting to the shared database."}
    )
    db_statement_timeout_s: int = dataclasses.field(
        default=10,
        metadata={"help": "The shared database cancels any one statement running longer than this."},
    )
    db_lock_timeout_s: int = dataclasses.field(
        default=5, metadata={"help": "Seconds to wait for a record another workstation is writing."}
    )
    db_idle_in_transaction_timeout_s: int = dataclasses.field(
        default=30, metadata={"help": "The server ends a session left idle inside a transaction this long."}
    )
    db_network_timeout_s: int = dataclasses.field(
        default=10,
        metadata={
            "help": "A silent network is noticed after about this long (TCP keepalives, tcp_user_timeout)."
        },
    )
    db_write_timeout_s: int = dataclasses.field(
        default=10, metadata={"help": "A save (with its automatic retries) gives up after this many seconds."}
    )
    db_read_timeout_s: int = dataclasses.field(
        default=30, metadata={"help": "A read (a page of the call list, one call) gives up after this long."}
    )
    shift_changes: str = dataclasses.field(
        default="07:00,15:00,23:00",
        metadata={
            "help": "Local times at which one supervisor's shift hands over to the next (HH:MM, comma "
            "separated): the windows of the shift handovers."
        },
    )
    theme: str = dataclasses.field(
        default="system",
        metadata={
            "help": "Colours of the main window: light, dark, high-contrast or system (follow the "
            "desktop, its high-contrast setting too). "
            "Each user's own choice (View > Theme) overrides it on their sign-in."
        },
    )
    # --- retention (docs/administration.md, "Retention and erasure"): sample defaults; each
    # organisation sets its own periods from its retention schedule.
    retention_closed_call_days: int = dataclasses.field(
        default=6 * 365 + 2,
        metadata={
            "help": "Erase a closed call this many days after it was closed, unless its case is on "
            "legal hold or has an open call or follow-up (sample default: 6 years)."
        },
    )
    retention_draft_days: int = dataclasses.field(
        default=30, metadata={"help": "Erase an unsaved draft this many days after its last change."}
    )
    log_retention_days: int = dataclasses.field(
        default=90, metadata={"help": "Delete application log files older than this many days."}
    )
    retention_audit_days: int = dataclasses.field(
        default=7 * 365 + 2,
        metadata={
            "help": "Audit events older than this many days are reported as due by the retention "
            "review (sample default: 7 years)."
        },
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.display_timezone)

    def shift_times(self) -> tuple[time, ...]:
        """``shift_changes`` as local times of day, in order (ValueError naming what is wrong)."""
        times: list[time] = []
        for part in self.shift_changes.split(","):
            text = part.strip()
            try:
                if len(text) != 5 or text[2] != ":":
                    raise ValueError(text)
                times.append(time(int(text[:2]), int(text[3:])))
            except ValueError:
                raise ValueError(f"{text!r} is not a time written HH:MM") from None
        if len(set(times)) != len(times):
            raise ValueError("a time is given twice")
        return tuple(sorted(times))

    def db_timeouts(self) -> dict[str, float]:
        """The ``db_*_s`` settings as keyword arguments of ``supportline.db.Timeouts``."""
        return {
            "connect_s": self.db_connect_timeout_s,
            "statement_s": self.db_statement_timeout_s,
            "lock_s": self.db_lock_timeout_s,
            "idle_in_transaction_s": self.db_idle_in_transaction_timeout_s,
            "network_s": self.db_network_timeout_s,
            "write_s": self.db_write_timeout_s,
            "read_s": self.db_read_timeout_s,
        }

    def validate(self) -> None:
        try:
            ZoneInfo(self.display_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"display_timezone: {self.display_timezone!r} is not a known time zone "
                "(use a name such as 'Europe/London')"
            ) from exc
        ranges = {
            "idle_lock_minutes": (1, 240),
            "max_failed_logins": (1, 100),
            "lockout_minutes": (1, 1440),
            "sqlite_busy_timeout_ms": (0, 600_000),
            "backups_to_keep": (0, 1000),
            "daily_backups_to_keep": (1, 1000),
            "retention_closed_call_days": (1, 36_500),
            "retention_draft_days": (1, 36_500),
            "log_retention_days": (1, 36_500),
            "retention_audit_days": (1, 36_500),
            "db_connect_timeout_s": (1, 300),
            "db_statement_timeout_s": (1, 3600),
            "db_lock_timeout_s": (1, 600),
            "db_idle_in_transaction_timeout_s": (1, 3600),
            "db_network_timeout_s": (3, 600),
            "db_write_timeout_s": (1, 600),
            "db_read_timeout_s": (1, 3600),
        }
        for key, (low, high) in ranges.items():
            value = getattr(self, key)
            if not low <= value <= high:
                raise ConfigError(f"{key}: {value} is out of range ({low} to {high})")
        if len(self.system_use_notice) > 2000:
            raise ConfigError("system_use_notice: longer than 2000 characters")
        try:
            self.shift_times()
        except ValueError as exc:
            raise ConfigError(f"shift_changes: {exc}") from exc
        if self.theme not in THEMES:
            raise ConfigError(f"theme: {self.theme!r} is not one of {', '.join(THEMES)}")
        if self.database_url and _parse_url(self.database_url) is None:
            raise ConfigError(f"database_url: {self.database_url!r} is not a database URL")

    @classmethod
    def describe(cls) -> list[tuple[str, str, object, str]]:
        """(key, type name, default, help) for every setting: the documentation table."""
        return [
            (f.name, f.type if isinstance(f.type, str) else f.type.__name__, f.default, f.metadata["help"])
            for f in dataclasses.fields(cls)
        ]

    @classmethod
    def from_mapping(cls, data: dict[str, Any], *, source: str) -> Settings:
        known = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"{source}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
            expected = type(known[key].default)
            # bool is an int in Python; a TOML `true` must not pass for a number.
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise ConfigError(
                    f"{source}: setting {key!r} must be {expected.__name__}, not {type(value).__name__}"
                )
            values[key] = value
        if values.get("database_url"):
            url = _parse_url(values["database_url"])
            if url is None:
                raise ConfigError(f"{source}: database_url is not a database URL")
            if url.password:
                raise ConfigError(
                    f"{source}: database_url must not contain a password; "
                    "store it in the OS keyring with `supportline db password`"
                )
        settings = cls(**values)
        try:
            settings.validate()
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from exc
        return settings


def load_settings(paths: Paths, environ: dict[str, str] | None = None) -> Settings:
    """Read the settings file (absent → defaults) and apply environment overrides."""
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    path = paths.settings_file
    if path.exists():
        import tomllib

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    settings = Settings.from_mapping(data, source=str(path))
    override = env.get(ENV_DB_URL)
    if override:
        if _parse_url(override) is None:
            raise ConfigError(f"{ENV_DB_URL}: not a database URL")
        settings = dataclasses.replace(settings, database_url=override)
    return settings


def save_settings(paths: Paths, settings: Settings) -> None:
    """Write the settings that differ from the defaults, atomically."""
    import tomli_w

    defaults = Settings()
    data = {
        f.name: getattr(settings, f.name)
        for f in dataclasses.fields(Settings)
        if getattr(settings, f.name) != getattr(defaults, f.name)
    }
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    tmp = paths.settings_file.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    os.replace(tmp, paths.settings_file)


def _parse_url(text: str) -> URL | None:
    """``text`` as a SQLAlchemy URL, or None if it is not one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(text)
    except ArgumentError:
        return None


def daily_backup_folder(settings: Settings, paths: Paths) -> Path:
    """Where the daily copies go: the ``daily_backup_dir`` setting, or ``backups/daily``."""
    if settings.daily_backup_dir:
        return Path(settings.daily_backup_dir).expanduser()
    return paths.backup_dir / "daily"


def database_url(settings: Settings, paths: Paths) -> URL:
    """The URL to connect to: the setting, or the local SQLite file."""
    from sqlalchemy.engine import URL, make_url

    if settings.database_url:
        return make_url(settings.database_url)
    return URL.create("sqlite", database=str(paths.default_database))


# --- secrets -------------------------------------------------------------------------------


class SecretsUnavailableError(RuntimeError):
    """No usable OS keyring on this machine."""


def _secret_name(url: URL) -> str:
    return f"{url.username or ''}@{url.host or ''}:{url.port or ''}/{url.database or ''}"


def get_database_password(url: URL) -> str | None:
    """The shared database's password from the OS keyring, or None if none is stored."""
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(KEYRING_SERVICE, _secret_name(url))
    except KeyringError:
        return None


def set_database_password(url: URL, password: str) -> None:
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, _secret_name(url), password)
    except KeyringError as exc:
        raise SecretsUnavailableError(
            f"the OS keyring cannot store the password ({exc}); enter it at each start instead"
        ) from exc
