"""Password rules (NIST SP 800-63B): length, the shipped common-password list, the person's name."""

from __future__ import annotations

import pytest

from supportline.enums import Role
from supportline.resources import resource_path
from supportline.services import accounts, passwords
from supportline.services.errors import ValidationError
from tests.factories import make_admin


def test_the_shipped_list_is_large_and_names_its_source_and_licence():
    common = passwords.common_passwords()
    assert len(common) >= 10_000
    assert {"password", "123456", "qwerty", "letmein"} <= common
    licence = resource_path("passwords", "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "zxcvbn" in licence and "Mark Burnett" in licence


@pytest.mark.parametrize(
    "password",
    [
        "password12",  # each of these five was accepted before
        "1234567890",
        "aaaaaaaaaa",
        " " * 10,
        "Ada Admin",
        # long enough, still refused
        " " * 12,
        "aaaaaaaaaaaa",
        "123456789012",
        "abcdefghijklmn",
        "abcabcabcabc",
        "121212121212",
        "password1234",
        "Password 1234!",
        "qwertyuiop12",
        "iloveyou2026!",
        "ada.admin rules",
        "AdaAdmin2026!!",
        "admin admin admin",
        "my supportline password",
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password):
    problem = passwords.password_problem(password, username="ada.admin", display_name="Ada Admin")
    assert problem is not None, password


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # no composition rules: lower-case words are fine
        "Saffron-kettle-41",
        "zebra lantern quietly",
        "Ünïcödé wörds are fine",
    ],
)
def test_good_passwords_are_accepted_without_composition_rules(password):
    assert passwords.password_problem(password, username="ada.admin", display_name="Ada Admin") is None


def test_the_services_refuse_them_naming_the_field(db):
    admin = make_admin(db)
    for password in ("password12", "1234567890", "aaaaaaaaaa", " " * 10, "Morwenna Tregarthen"):
        with pytest.raises(ValidationError) as info:
            accounts.create_user(db, admin, "m.tregarthen", "Morwenna Tregarthen", Role.OPERATOR, password)
        assert info.value.fields == ("password",), password
    with pytest.raises(ValidationError, match="common"):
        accounts.create_user(db, admin, "m.tregarthen", "Morwenna T", Role.OPERATOR, "LeaveMeAlone")
    with pytest.raises(ValidationError, match="your user name or your name"):
        accounts.create_user(db, admin, "m.tregarthen", "Morwenna T", Role.OPERATOR, "tregarthen forever")
    assert [u.username for u in accounts.list_users(db, admin)] == ["ada.admin"]
