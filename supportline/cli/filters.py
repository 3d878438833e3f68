"""The call filters that ``export`` and ``stats`` share: the same options, the same meaning.

Days are local days in the line's time zone (``--from`` and ``--to`` both included), as for
``calls list``.
"""

from __future__ import annotations

import argparse
from typing import Any

from supportline.cli.calls_commands import day_bounds, parse_day
from supportline.cli.common import UsageError
from supportline.db import Database
from supportline.enums import AgencyType, CallStatus, ExploitationType, Outcome, Route, Urgency
from supportline.services.accounts import handler_id_for
from supportline.services.actor import Actor
from supportline.services.call_types import CallQuery


def _values(enum: Any) -> list[str]:
    return [member.value for member in enum]


def add_period_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="first_day", required=True, type=parse_day, metavar="DATE",
                        help="first day, YYYY-MM-DD, in the line's time zone")  # fmt: skip
    parser.add_argument("--to", dest="last_day", required=True, type=parse_day, metavar="DATE",
                        help="last day, YYYY-MM-DD (included)")  # fmt: skip


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """``--from``/``--to`` and every call filter."""
    add_period_options(parser)
    group = parser.add_argument_group("filters (all optional; together they narrow the calls)")
    group.add_argument("--status", choices=_values(CallStatus), help="only calls with this status")
    group.add_argument("--urgency", choices=_values(Urgency), help="only calls of this urgency")
    group.add_argument(
        "--route", choices=_values(Route), help="only calls where this advice route was chosen"
    )
    group.add_argument(
        "--agency", choices=_values(AgencyType), help="only calls from this type of caller agency"
    )
    group.add_argument("--force", metavar="NAME", help='only calls about this force area, e.g. "Kent Police"')
    group.add_argument("--handler", dest="handler_username", metavar="USERNAME",
                       help="only calls handled by this user")  # fmt: skip
    group.add_argument("--exploitation-type", choices=_values(ExploitationType),
                       help="only calls recording this type of exploitation")  # fmt: skip
    group.add_argument("--outcome", choices=_values(Outcome), help="only calls with this outcome")
    group.add_argument("--hour", dest="opened_hour", type=hour_of_day, metavar="H",
                       help="only calls opened in this hour of the day, 0-23, in the line's time zone "
                       "(14: from 14:00 to 14:59)")  # fmt: skip


def hour_of_day(text: str) -> int:
    try:
        hour = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an hour of the day (0-23)") from None
    if not 0 <= hour <= 23:
        raise argparse.ArgumentTypeError(f"{hour} is not an hour of the day (0-23)")
    return hour


def check_period(args: argparse.Namespace) -> None:
    if args.last_day < args.first_day:
        raise UsageError(f"--to {args.last_day} is before --from {args.first_day}")


def query_from_args(args: argparse.Namespace, db: Database, actor: Actor) -> CallQuery:
    """The :class:`CallQuery` the options ask for (``--handler`` must name an existing user)."""
    start, end = day_bounds(args.first_day, args.last_day, db.zone)
    handler_id = None
    if args.handler_username:
        handler_id = handler_id_for(db, actor, args.handler_username)
        if handler_id is None:
            raise UsageError(f"--handler: there is no user {args.handler_username!r}")
    return CallQuery(
        opened_from=start,
        opened_to=end,
        status=CallStatus(args.status) if args.status else None,
        urgency=Urgency(args.urgency) if args.urgency else None,
        route=Route(args.route) if args.route else None,
        agency_type=AgencyType(args.agency) if args.agency else None,
        force_area=args.force.strip() if args.force and args.force.strip() else None,
        handler_id=handler_id,
        exploitation_type=ExploitationType(args.exploitation_type) if args.exploitation_type else None,
        outcome=Outcome(args.outcome) if args.outcome else None,
        opened_hour=args.opened_hour,
    )
