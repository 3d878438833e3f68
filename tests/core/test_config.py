from __future__ import annotations

import pytest

from supportline import config
from supportline.config import ConfigError, Paths, Settings, load_settings, save_settings
from supportline.resources import resource_path, resources_dir


def test_home_puts_everything_under_one_folder(tmp_path):
    paths = Paths.from_environment({"SUPPORTLINE_HOME": str(tmp_path)})
    assert paths.config_dir == tmp_path / "config"
    assert paths.default_database == tmp_path / "data" / "supportline.db"
    assert paths.log_dir == tmp_path / "logs"


def test_defaults_without_a_file(tmp_path):
    paths = Paths.from_environment({"SUPPORTLINE_HOME": str(tmp_path)})
    settings = load_settings(paths, {})
    assert settings == Settings()
    assert settings.display_timezone == "Europe/London"
    url = config.database_url(settings, paths)
    assert url.get_backend_name() == "sqlite" and url.database == str(paths.default_database)


def _write(paths: Paths, text: str) -> None:
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.settings_file.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 'blue'\n", "unknown setting 'colour'"),
        ("idle_lock_minutes = 'ten'\n", "'idle_lock_minutes' must be int, not str"),
        ("idle_lock_minutes = true\n", "'idle_lock_minutes' must be int, not bool"),
        ("idle_lock_minutes = 0\n", "idle_lock_minutes: 0 is out of range"),
        ("display_timezone = 'Mars/Olympus'\n", "display_timezone: 'Mars/Olympus' is not a known time zone"),
        ("database_url = 'postgresql://sl:secret@db.example/sl'\n", "must not contain a password"),
        ("idle_lock_minutes = \n", "not valid TOML"),
    ],
)
def test_bad_settings_name_the_key(tmp_path, text, message):
    paths = Paths.from_environment({"SUPPORTLINE_HOME": str(tmp_path)})
    _write(paths, text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")) as info:
        load_settings(paths, {})
    assert str(paths.settings_file) in str(info.value)


def test_environment_overrides_the_database(tmp_path):
    paths = Paths.from_environment({"SUPPORTLINE_HOME": str(tmp_path)})
    _write(paths, "database_url = 'sqlite:////somewhere/else.db'\nidle_lock_minutes = 15\n")
    settings = load_settings(paths, {"SUPPORTLINE_DB_URL": "postgresql+psycopg://sl@db1,db2/supportline"})
    assert settings.database_url.startswith("postgresql+psycopg://sl@")
    assert settings.idle_lock_minutes == 15


def test_save_and_load_round_trip(tmp_path):
    paths = Paths.from_environment({"SUPPORTLINE_HOME": str(tmp_path)})
    settings = Settings(idle_lock_minutes=20, protective_marking="OFFICIAL")
    save_settings(paths, settings)
    assert "database_url" not in paths.settings_file.read_text()  # defaults are not written
    assert load_settings(paths, {}) == settings


def test_every_setting_is_documented():
    for key, type_name, _default, help_text in Settings.describe():
        assert help_text, key
        assert type_name in {"str", "int", "bool"}


def test_resources_are_found_from_the_checkout():
    assert resources_dir().is_dir()
    assert resource_path("guidance").is_dir()
