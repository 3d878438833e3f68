"""The sign-in settings: lockout_minutes and system_use_notice, from the file to the database."""

from __future__ import annotations

import pytest

from supportline import bootstrap
from supportline.config import DEFAULT_SYSTEM_USE_NOTICE, ConfigError, Paths, Settings, load_settings


def test_defaults():
    settings = Settings()
    assert settings.lockout_minutes == 10
    assert settings.system_use_notice == DEFAULT_SYSTEM_USE_NOTICE
    assert "authorised" in DEFAULT_SYSTEM_USE_NOTICE and "logged" in DEFAULT_SYSTEM_USE_NOTICE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lockout_minutes = 0", "lockout_minutes: 0 is out of range (1 to 1440)"),
        ("lockout_minutes = 2000", "lockout_minutes: 2000 is out of range (1 to 1440)"),
        ('lockout_minutes = "ten"', "setting 'lockout_minutes' must be int, not str"),
        ("system_use_notice = 5", "setting 'system_use_notice' must be str, not int"),
        (f'system_use_notice = "{"x" * 2001}"', "system_use_notice: longer than 2000 characters"),
    ],
)
def test_bad_values_name_the_key(tmp_path, text, message):
    paths = Paths.from_environment({"SUPPORTLINE_HOME": str(tmp_path)})
    paths.ensure()
    paths.settings_file.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(paths, environ={})
    assert message in str(info.value)


def test_the_database_gets_the_lockout_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORTLINE_HOME", str(tmp_path))
    paths = Paths.from_environment()
    paths.ensure()
    paths.settings_file.write_text(
        'lockout_minutes = 25\nmax_failed_logins = 3\nsystem_use_notice = "Authorised staff only."\n',
        encoding="utf-8",
    )
    env = bootstrap.load_environment()
    db = bootstrap.open_database(env)
    try:
        assert (db.lockout_minutes, db.max_failed_logins) == (25, 3)
        assert env.settings.system_use_notice == "Authorised staff only."
    finally:
        db.dispose()
