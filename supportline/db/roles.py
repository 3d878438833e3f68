"""What the application's PostgreSQL role may do with each table: one definition for
``db init-shared`` (``shared_setup.init_shared``), ``db check`` and the audit trail's own grants
(``services.audit_chain.role_grants_sql``).

The role reads and writes the application's rows; on the audit trail it may only add and read
(never change, delete or truncate, and it must not own the table: an owner can drop triggers);
the schema's own bookkeeping it may only read. It owns nothing and may not create (no DDL).
"""

from __future__ import annotations

from typing import Final

#: The audit trail: append-only.
AUDIT_TABLE: Final = "audit_events"
AUDIT_SEQUENCE: Final = "audit_events_id_seq"
#: Tables with less than read and write, and what the role may do with them.
TABLE_PRIVILEGES: Final[dict[str, tuple[str, ...]]] = {
    AUDIT_TABLE: ("SELECT", "INSERT"),
    "alembic_version": ("SELECT",),
}
#: Every other table of the schema.
READ_WRITE: Final = ("SELECT", "INSERT", "UPDATE", "DELETE")


def privileges(table: str) -> tuple[str, ...]:
    """What the application's role may do with ``table``."""
    return TABLE_PRIVILEGES.get(table, READ_WRITE)


def quote_identifier(name: str) -> str:
    """``name`` as a PostgreSQL identifier, always quoted (a quote inside doubled)."""
    if not name or "\x00" in name:
        raise ValueError("an identifier must not be empty or hold a NUL character")
    return '"' + name.replace('"', '""') + '"'


def table_grants_sql(role: str, table: str, schema: str | None = None) -> list[str]:
    """Statements that give ``role`` exactly :func:`privileges` on ``table`` (first taking away
    anything it had); ``schema`` qualifies the table's name."""
    quoted = quote_identifier(role)
    name = quote_identifier(table)
    if schema is not None:
        name = f"{quote_identifier(schema)}.{name}"
    return [
        f"REVOKE ALL ON TABLE {name} FROM {quoted}",
        f"GRANT {', '.join(privileges(table))} ON TABLE {name} TO {quoted}",
    ]


def audit_grants_sql(role: str) -> list[str]:
    """The audit trail's grants alone (with its id sequence), in the role's search path."""
    return [
        *table_grants_sql(role, AUDIT_TABLE),
        f"GRANT USAGE ON SEQUENCE {quote_identifier(AUDIT_SEQUENCE)} TO {quote_identifier(role)}",
    ]


def sequence_grants_sql(role: str, schema: str) -> str:
    """Every sequence of ``schema`` usable by ``role`` (new ids for the tables it may insert into)."""
    quoted = quote_identifier(role)
    return f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quote_identifier(schema)} TO {quoted}"
