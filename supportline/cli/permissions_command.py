"""``supportline permissions``: who may do what, from the one table the services enforce.

``--markdown`` prints ``docs/permissions.md`` as it should be (a test compares the two).
No sign-in and no database: the table is part of the program, not of the data.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from supportline.cli.common import print_table
from supportline.gui_hooks import GuiHooks
from supportline.services import permissions


def register(commands: Any) -> None:
    p = commands.add_parser("permissions", help="list what each role may do (the permissions table)")
    p.add_argument(
        "--markdown", action="store_true", help="print the page docs/permissions.md is generated as"
    )
    p.set_defaults(handler=permissions_command)


def permissions_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    if args.markdown:
        sys.stdout.write(permissions.markdown())
        return 0
    rows = [
        [action.value, rule.doing, rule.permission.value,
         ", ".join(role.value for role in permissions.allowed_roles(action)) or "-"]
        for action, rule in permissions.RULES.items()
    ]  # fmt: skip
    print_table(["action", "what", "permission", "roles"], rows)
    return 0
