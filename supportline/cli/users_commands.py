"""``supportline users add|list|disable|enable|set-role|reset-password|unlock|password``.

On a database with no accounts ``users add`` creates the first administrator without signing in
(that is how a new installation gets its first account); afterwards an administrator signs in
with ``--user``. Accounts are disabled, never deleted (a person who handled calls stays named on
them). ``reset-password`` sets a password the person must change at their next sign-in, which
``users password`` (or the sign-in window) does.
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from supportline.cli.common import (
    CliError,
    Passwords,
    opened_database,
    password_stdin_option,
    print_table,
    printable,
    sign_in,
)
from supportline.db import Database
from supportline.enums import Role
from supportline.gui_hooks import GuiHooks
from supportline.services import accounts
from supportline.services.actor import Actor


def register(commands: Any) -> None:
    users = commands.add_parser(
        "users", help="accounts: add, list, disable, enable, set-role, reset-password, unlock, password"
    )
    sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    p = sub.add_parser(
        "add",
        help="add an account (the first account of a new database: an administrator, no sign-in)",
    )
    p.add_argument("name", metavar="NAME", help="user name: lower-case letters, digits, '.', '_', '-'")
    p.add_argument("--role", required=True, choices=[r.value for r in Role], help="what the account may do")
    p.add_argument("--display-name", metavar="TEXT", help="name shown to people (default: NAME)")
    p.add_argument("--user", metavar="ADMIN", help="administrator signing in to add the account")
    p.add_argument(
        "--temporary",
        action="store_true",
        help="the password given is a first one: the person must change it at their first sign-in",
    )
    password_stdin_option(
        p, "with --user: first the administrator's password, then the new account's; otherwise the new one"
    )
    p.set_defaults(handler=add_command)

    p = sub.add_parser("list", help="list the accounts (administrators only)")
    p.add_argument("--user", metavar="NAME", required=True, help="administrator signing in")
    password_stdin_option(p, "the administrator's password")
    p.set_defaults(handler=list_command)

    _register_admin_actions(sub)


def add_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    display_name: str = args.display_name if args.display_name is not None else args.name
    role = Role(args.role)
    with opened_database(migrate=True) as (_env, db):
        if accounts.count_users(db) == 0:
            if args.user:
                raise CliError(
                    f"{db.describe()} has no accounts yet, so --user {args.user} cannot sign in; "
                    "leave out --user to create the first administrator"
                )
            if role is not Role.ADMIN:
                raise CliError(
                    "the first account must be an admin (--role admin): nobody could add accounts otherwise"
                )
            password = passwords.read(f"New password for {args.name}", confirm=True)
            record = accounts.create_first_admin(db, args.name, display_name, password)
            print(f"created the first account: {record.username} ({record.role.label}) in {db.describe()}")
            return 0
        if not args.user:
            raise CliError(
                f"{db.describe()} already has accounts: sign in as an administrator with --user NAME"
            )
        actor = sign_in(db, args.user, passwords)
        accounts.require_admin(db, actor, "user.create")  # before asking for the new password
        password = passwords.read(f"New password for {args.name}", confirm=True)
        record = accounts.create_user(
            db, actor, args.name, display_name, role, password, must_change_password=args.temporary
        )
        print(f"created {record.username} ({record.role.label}) in {db.describe()}")
    return 0


def list_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        users = accounts.list_users(db, actor)
        rows = [
            [
                u.username,
                printable(u.display_name, 40),
                u.role.label,
                _state(u, db.zone),
                u.last_login_at.astimezone(db.zone).strftime("%Y-%m-%d %H:%M")
                if u.last_login_at
                else "never",
            ]
            for u in users
        ]
    print_table(["user", "name", "role", "state", "last sign-in"], rows)
    return 0


def _state(user: accounts.UserRecord, zone: ZoneInfo) -> str:
    flags = []
    if not user.active:
        flags.append("disabled")
    if user.locked and user.locked_until is not None:
        flags.append(f"locked until {user.locked_until.astimezone(zone).strftime('%H:%M')}")
    if user.must_change_password:
        flags.append("must change password")
    if user.is_demo:
        flags.append("demo")
    return ", ".join(flags) or "active"


def _register_admin_actions(sub: Any) -> None:
    for name, help_text, handler in (
        (
            "disable",
            "disable an account: it can no longer sign in, and stays named on its calls",
            disable_command,
        ),
        ("enable", "enable a disabled account again", enable_command),
        ("unlock", "end an account's lockout after failed sign-ins now", unlock_command),
        (
            "reset-password",
            "set a new password for an account, to be changed at its next sign-in (also unlocks it)",
            reset_password_command,
        ),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("name", metavar="NAME", help="the account")
        p.add_argument("--user", metavar="ADMIN", required=True, help="administrator signing in")
        lines = (
            "the administrator's password, then the new one"
            if handler is reset_password_command
            else ("the administrator's password")
        )
        password_stdin_option(p, lines)
        p.set_defaults(handler=handler)

    p = sub.add_parser("set-role", help="change what an account may do")
    p.add_argument("name", metavar="NAME", help="the account")
    p.add_argument(
        "role", metavar="ROLE", choices=[r.value for r in Role], help="operator, adviser, supervisor or admin"
    )
    p.add_argument("--user", metavar="ADMIN", required=True, help="administrator signing in")
    password_stdin_option(p, "the administrator's password")
    p.set_defaults(handler=set_role_command)

    p = sub.add_parser(
        "password", help="change your own password (also one an administrator reset, which must be changed)"
    )
    p.add_argument("--user", metavar="NAME", required=True, help="your user name")
    password_stdin_option(p, "your current password, then the new one")
    p.set_defaults(handler=password_command)


def _admin_action(
    args: argparse.Namespace,
    action: str,
    act: Callable[[Database, Actor, uuid.UUID], accounts.UserRecord],
) -> accounts.UserRecord:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        accounts.require_admin(db, actor, action)  # refused (and audited) as the action itself
        target = accounts.get_user(db, actor, args.name)
        return act(db, actor, target.id)


def disable_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    record = _admin_action(args, "user.disable", accounts.disable_user)
    print(f"disabled {record.username}: it can no longer sign in (its calls keep its name)")
    return 0


def enable_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    record = _admin_action(args, "user.enable", accounts.enable_user)
    print(f"enabled {record.username}")
    return 0


def unlock_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    record = _admin_action(args, "user.unlock", accounts.unlock_user)
    print(f"unlocked {record.username}")
    return 0


def set_role_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    role = Role(args.role)
    record = _admin_action(
        args, "user.role", lambda db, actor, user_id: accounts.set_role(db, actor, user_id, role)
    )
    print(f"{record.username} is now {record.role.label}")
    return 0


def reset_password_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        accounts.require_admin(db, actor, "user.password.reset")  # before asking for the new one
        target = accounts.get_user(db, actor, args.name)
        password = passwords.read(f"New password for {target.username}", confirm=True)
        record = accounts.reset_password(db, actor, target.id, password)
    if record.must_change_password:
        print(f"reset the password of {record.username}: it must be changed at the next sign-in")
    else:
        print(f"changed your password ({record.username})")
    return 0


def password_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        old = passwords.read(f"Current password for {args.user}")
        new = passwords.read(f"New password for {args.user}", confirm=True)
        actor = accounts.change_password_at_sign_in(db, args.user, old, new, signing_in=False)
    print(f"changed the password of {actor.username}")
    return 0
