"""call search: a full-text index over calls, and the indexes the call list sorts by

SQLite: an FTS5 table ``calls_fts`` holding no text of its own (external content: ``calls``, keyed
by its rowid), kept in step by triggers and filled from the existing calls here. PostgreSQL: a
stored generated ``tsvector`` column ``calls.search_vector`` with a GIN index; no extension needed.
Both fold case and Latin diacritics ("Zoë" matches "zoe") and treat punctuation as a separator.
The query side is ``supportline.services.call_search``: keep the two in step.

The sort indexes are (column, opened_at, id): every sort of the call list, and each filter on one
of those columns, walks an index instead of sorting the table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (name, columns) of the sort indexes; each replaces a single-column index of 0001 where there was one.
SORT_INDEXES = (
    ("ix_calls_opened_at_id", ("opened_at", "id"), "ix_calls_opened_at"),
    ("ix_calls_status_opened_at_id", ("status", "opened_at", "id"), "ix_calls_status"),
    ("ix_calls_urgency_opened_at_id", ("urgency", "opened_at", "id"), "ix_calls_urgency"),
    ("ix_calls_caller_name_opened_at_id", ("caller_name", "opened_at", "id"), None),
    (
        "ix_calls_caller_agency_type_opened_at_id",
        ("caller_agency_type", "opened_at", "id"),
        "ix_calls_caller_agency_type",
    ),
    ("ix_calls_force_area_opened_at_id", ("force_area", "opened_at", "id"), "ix_calls_force_area"),
    ("ix_calls_handler_id_opened_at_id", ("handler_id", "opened_at", "id"), "ix_calls_handler_id"),
)
# (status, opened_at) of 0001 is now (status, opened_at, id).
REPLACED_COMPOSITE = ("ix_calls_status_opened_at", ("status", "opened_at"))

# The indexed columns, in the order of the FTS5 table's columns.
SEARCHED = (
    "reference",
    "caller_name",
    "caller_collar_number",
    "caller_organisation",
    "force_area",
    "caller_phone",
    "summary",
    "narrative",
)
FTS_TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co Mn'"


def upgrade() -> None:
    # Plain CREATE/DROP INDEX, never a batch operation: on SQLite a batch copies the calls table,
    # which would renumber its rowids (and drop the FTS triggers).
    for name, columns, replaced in SORT_INDEXES:
        op.create_index(name, "calls", list(columns))
        if replaced:
            op.drop_index(replaced, table_name="calls")
    op.drop_index(REPLACED_COMPOSITE[0], table_name="calls")
    if op.get_bind().dialect.name == "postgresql":
        _create_postgresql_search()
    else:
        _create_sqlite_search()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_calls_search_vector")
        op.execute("ALTER TABLE calls DROP COLUMN search_vector")
        op.execute("DROP FUNCTION calls_search_document(text, text, text, text, text, text, text, text)")
    else:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER calls_fts_{suffix}")
        op.execute("DROP TABLE calls_fts")
    op.create_index(REPLACED_COMPOSITE[0], "calls", list(REPLACED_COMPOSITE[1]))
    for name, columns, replaced in reversed(SORT_INDEXES):
        if replaced:
            op.create_index(replaced, "calls", [columns[0]])
        op.drop_index(name, table_name="calls")


# --- SQLite: FTS5 -------------------------------------------------------------------------------


def _create_sqlite_search() -> None:
    columns = ", ".join(SEARCHED)
    # prefix: the terms' first 2 and 3 characters are indexed too, so that the first letters of a
    # word typed in the search box find its calls without merging thousands of terms.
    op.execute(
        f"CREATE VIRTUAL TABLE calls_fts USING fts5({columns}, content='calls', content_rowid='rowid', "
        f"tokenize=\"{FTS_TOKENIZER}\", prefix='2 3')"
    )
    op.execute(SQLITE_INSERT_TRIGGER)
    op.execute(SQLITE_DELETE_TRIGGER)
    op.execute(SQLITE_UPDATE_TRIGGER)
    op.execute("INSERT INTO calls_fts(calls_fts) VALUES ('rebuild')")


# An external-content FTS5 table is told of every change, with the old values to remove.
SQLITE_INSERT_TRIGGER = """
CREATE TRIGGER calls_fts_ai AFTER INSERT ON calls BEGIN
    INSERT INTO calls_fts(rowid, reference, caller_name, caller_collar_number,
        caller_organisation, force_area, caller_phone, summary, narrative)
    VALUES (new.rowid, new.reference, new.caller_name, new.caller_collar_number,
        new.caller_organisation, new.force_area, new.caller_phone, new.summary, new.narrative);
END"""
SQLITE_DELETE_TRIGGER = """
CREATE TRIGGER calls_fts_ad AFTER DELETE ON calls BEGIN
    INSERT INTO calls_fts(calls_fts, rowid, reference, caller_name, caller_collar_number,
        caller_organisation, force_area, caller_phone, summary, narrative)
    VALUES ('delete', old.rowid, old.reference, old.caller_name, old.caller_collar_number,
        old.caller_organisation, old.force_area, old.caller_phone, old.summary, old.narrative);
END"""
# Only when an indexed column is written: a save that changes none of them (most edits touch only
# the outcome or the checklist) does not re-index a long narrative.
SQLITE_UPDATE_TRIGGER = """
CREATE TRIGGER calls_fts_au AFTER UPDATE OF reference, caller_name, caller_collar_number,
    caller_organisation, force_area, caller_phone, summary, narrative ON calls BEGIN
    INSERT INTO calls_fts(calls_fts, rowid, reference, caller_name, caller_collar_number,
        caller_organisation, force_area, caller_phone, summary, narrative)
    VALUES ('delete', old.rowid, old.reference, old.caller_name, old.caller_collar_number,
        old.caller_organisation, old.force_area, old.caller_phone, old.summary, old.narrative);
    INSERT INTO calls_fts(rowid, reference, caller_name, caller_collar_number,
        caller_organisation, force_area, caller_phone, summary, narrative)
    VALUES (new.rowid, new.reference, new.caller_name, new.caller_collar_number,
        new.caller_organisation, new.force_area, new.caller_phone, new.summary, new.narrative);
END"""


# --- PostgreSQL: a generated tsvector column ----------------------------------------------------


def _fold(expression: str) -> str:
    """Lower case, Latin diacritics dropped (NFD, then no combining marks), punctuation as spaces.

    Only pg_catalog functions: a generated column is also computed by pg_restore, whose
    search_path is empty.
    """
    return (
        "regexp_replace(regexp_replace(normalize(lower(" + expression + "), NFD), "
        "'[\\u0300-\\u036f]', '', 'g'), '[[:punct:]]', ' ', 'g')"
    )


def _create_postgresql_search() -> None:
    head = " || ' ' || ".join(
        f"coalesce({c}, '')" for c in SEARCHED if c not in ("caller_phone", "narrative")
    )
    params = ", ".join(f"{c} text" for c in SEARCHED)
    phone = _fold("coalesce(caller_phone, '')")
    narrative = _fold("coalesce(narrative, '')")
    narrative_start = _fold("left(narrative, 100000)")
    # The phone carries weight A: a query can ask for a number in the phone column alone.
    # A tsvector holds at most 1 MB: an enormous narrative of unusual text is indexed as far as fits.
    op.execute(
        f"CREATE FUNCTION calls_search_document({params}) RETURNS tsvector "
        "LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$\n"
        "DECLARE\n"
        f"    head tsvector := setweight(to_tsvector('simple', {phone}), 'A')\n"
        f"        || to_tsvector('simple', {_fold(head)});\n"
        "BEGIN\n"
        f"    RETURN head || to_tsvector('simple', {narrative});\n"
        "EXCEPTION WHEN program_limit_exceeded THEN\n"
        f"    RETURN head || to_tsvector('simple', {narrative_start});\n"
        "END\n$$"
    )
    op.execute(
        "ALTER TABLE calls ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
        f"(calls_search_document({', '.join(SEARCHED)})) STORED"
    )
    op.execute("CREATE INDEX ix_calls_search_vector ON calls USING gin (search_vector)")
    op.execute("ANALYZE calls")
