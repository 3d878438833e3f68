"""Selecting the rows of a page of calls with one bound parameter, however many calls.

``column IN (:id_1, :id_2, …)`` makes SQLAlchemy coerce, name and bind every id of every page
anew, which is a good part of reading a hundred thousand calls. Instead the page's ids are bound
as **one** value: on SQLite a JSON array of the ids as stored (32 hex digits) read back with
``json_each``; on PostgreSQL an array compared with ``= ANY``. The statement is then the same for
every page, so SQLAlchemy compiles it once.

The ids are the keys *as the driver returns them* (read with :func:`raw`): SQLite's hex text,
psycopg's ``uuid.UUID``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, any_, bindparam, func, select, type_coerce

PARAMETER = "ids"


def raw(column: Any) -> Any:
    """``column`` as the driver returns it: no SQLAlchemy conversion on the way out (or in)."""
    return type_coerce(column, String)


def in_page(column: Any, dialect: str) -> Any:
    """The condition "``column`` is one of the ids bound by :func:`bind`"."""
    if dialect == "sqlite":
        each = func.json_each(bindparam(PARAMETER, type_=String)).table_valued("value")
        return raw(column).in_(select(each.c.value))
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql  # only on PostgreSQL (see db/upsert.py)

        return column == any_(bindparam(PARAMETER, type_=postgresql.ARRAY(postgresql.UUID(as_uuid=True))))
    raise ValueError(
        f"no page selects for the {dialect!r} dialect: Supportline supports postgresql and sqlite"
    )


def bind(keys: Sequence[Any], dialect: str) -> dict[str, Any]:
    """The parameters of :func:`in_page` for these ids (as the driver returned them)."""
    return {PARAMETER: json.dumps(list(keys)) if dialect == "sqlite" else list(keys)}
