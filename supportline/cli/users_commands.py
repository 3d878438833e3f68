"""``supportline users add|list``: accounts from the command line.

On a database with no accounts ``users add`` creates the first administrator without signing in
(that is how a new installation gets its first account); afterwards an administrator signs in
with ``--user``.
"""

from __future__ import annotations

import argparse
from typing import Any

from supportline.cli.common import (
    CliError,
    Passwords,
    opened_database,
    password_stdin_option,
    print_table,
    printable,
    sign_in,
)
from supportline.enums import Role
from supportline.gui_hooks import GuiHooks
from supportline.services import accounts
from supportline.services.actor import Permission, require


def register(commands: Any) -> None:
    users = commands.add_parser("users", help="accounts: add and list")
    sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    p = sub.add_parser(
        "add",
        help="add an account (the first account of a new database: an administrator, no sign-in)",
    )
    p.add_argument("name", metavar="NAME", help="user name: lower-case letters, digits, '.', '_', '-'")
    p.add_argument("--role", required=True, choices=[r.value for r in Role], help="what the account may do")
    p.add_argument("--display-name", metavar="TEXT", help="name shown to people (default: NAME)")
    p.add_argument("--user", metavar="ADMIN", help="administrator signing in to add the account")
    password_stdin_option(
        p, "with --user: first the administrator's password, then the new account's; otherwise the new one"
    )
    p.set_defaults(handler=add_command)

    p = sub.add_parser("list", help="list the accounts (administrators only)")
    p.add_argument("--user", metavar="NAME", required=True, help="administrator signing in")
    password_stdin_option(p, "the administrator's password")
    p.set_defaults(handler=list_command)


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
        require(actor, Permission.USER_ADMIN)  # before asking for the new password, not after
        password = passwords.read(f"New password for {args.name}", confirm=True)
        record = accounts.create_user(db, actor, args.name, display_name, role, password)
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
                ", ".join(
                    flag
                    for flag, on in (("disabled", not u.active), ("locked", u.locked), ("demo", u.is_demo))
                    if on
                )
                or "active",
                u.last_login_at.astimezone(db.zone).strftime("%Y-%m-%d %H:%M")
                if u.last_login_at
                else "never",
            ]
            for u in users
        ]
    print_table(["user", "name", "role", "state", "last sign-in"], rows)
    return 0
