"""The exact guidance a call's advice rested on: each template text stored once, by its hash.

A call's route records ``template_hash``; :func:`stored` gives that text back however the
template file has changed since, and :func:`parse_stored` shows it as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from supportline.db.engine import Database
from supportline.db.models import GuidanceVersion
from supportline.db.upsert import dialect_insert
from supportline.guidance.loader import parse_text
from supportline.guidance.model import Template
from supportline.services.errors import NotFoundError


@dataclass(frozen=True)
class StoredGuidance:
    template_id: str
    version: str
    text: str
    first_used_at: datetime


class StoredGuidanceError(ValueError):
    """Stored guidance text that no longer parses (it did when it was stored)."""


def remember(db: Database, template: Template) -> str:
    """Store ``template``'s text under its content hash (once: repeating is harmless, also when two
    clients do it at the same moment); returns the hash, for ``RouteData.template_hash``."""
    values = {
        "content_hash": template.content_hash,
        "template_id": template.id,
        "template_version": template.version,
        "text": template.text,
        "first_used_at": datetime.now(UTC),
    }
    insert = dialect_insert(db.dialect)
    statement = (
        insert(GuidanceVersion).values(**values).on_conflict_do_nothing(index_elements=["content_hash"])
    )
    with db.write() as session:
        session.execute(statement)
    return template.content_hash


def stored(db: Database, content_hash: str) -> StoredGuidance:
    """The stored text of one version; :class:`NotFoundError` if no call ever used it."""
    with db.read() as session:
        row = session.get(GuidanceVersion, content_hash)
        if row is None:
            raise NotFoundError(f"no stored guidance with hash {content_hash[:12]}…")
        return StoredGuidance(
            template_id=row.template_id,
            version=row.template_version,
            text=row.text,
            first_used_at=row.first_used_at,
        )


def parse_stored(text: str, template_id: str = "stored") -> Template:
    """A stored text as a :class:`Template` again (its ``path`` is ``<stored …>``)."""
    template, problems = parse_text(text, Path(f"<stored {template_id}>"))
    if template is None:
        raise StoredGuidanceError("; ".join(p.message for p in problems))
    return template
