"""The one way calls leave the system in a file: checked, atomic, hashed and audited.

:func:`export` checks the person may export and that the request is complete, counts the calls,
lets the format's writer write a temporary file beside the target, hashes it, writes the
DISCLOSURE audit event (filters, profile, format, row count, SHA-256, purpose) and only then
renames the file into place. A cancel, an error or a full disk leaves no file and an existing
target untouched; an export that is not audited never appears.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from supportline.db.engine import Database
from supportline.enums import AuditCategory
from supportline.exports.atomic import atomic_write
from supportline.exports.common import (
    MARKING_MAX,
    PURPOSE_MAX,
    Cancelled,
    ExportFormat,
    ExportJob,
    ExportOptions,
    ExportResult,
    Profile,
    Progress,
    Pseudonymiser,
    Writer,
    count_matching,
    query_filters,
)
from supportline.services import audit, permissions
from supportline.services.actor import Actor
from supportline.services.call_types import CallQuery
from supportline.services.errors import FieldError, ValidationError
from supportline.services.permissions import Action

HASH_CHUNK = 1 << 20


def _writer(format: ExportFormat) -> Writer:
    # Imported when used: the PDF and XLSX libraries cost start-up time nobody else should pay.
    if format is ExportFormat.CSV:
        from supportline.exports import csv_export

        return csv_export.write
    if format is ExportFormat.JSONL:
        from supportline.exports import jsonl_export

        return jsonl_export.write
    if format is ExportFormat.XLSX:
        from supportline.exports import xlsx_export

        return xlsx_export.write
    from supportline.exports import pdf_report

    return pdf_report.write


def validate_request(
    format: ExportFormat | str, profile: Profile | str, purpose: str, options: ExportOptions
) -> tuple[ExportFormat, Profile, str]:
    """The request's format, profile and purpose, checked; every problem named at once."""
    errors: list[FieldError] = []
    try:
        format = ExportFormat(format)
    except ValueError:
        errors.append(FieldError("format", f"{format!r} is not one of: {', '.join(ExportFormat)}"))
    try:
        profile = Profile(profile)
    except ValueError:
        errors.append(FieldError("profile", f"{profile!r} is not one of: {', '.join(Profile)}"))
    purpose = purpose.strip()
    if not purpose:
        errors.append(FieldError("purpose", "required: say why the data is exported and to whom"))
    elif len(purpose) > PURPOSE_MAX:
        errors.append(FieldError("purpose", f"is {len(purpose):,} characters; the limit is {PURPOSE_MAX:,}"))
    marking = options.marking.strip()
    if not marking:
        errors.append(FieldError("marking", "required: the protective marking printed on every page"))
    elif len(marking) > MARKING_MAX or not marking.isprintable():
        errors.append(FieldError("marking", f"must be printable and at most {MARKING_MAX} characters"))
    if errors:
        raise ValidationError(errors)
    return ExportFormat(format), Profile(profile), purpose


def file_sha256(handle: IO[bytes]) -> str:
    """SHA-256 of everything written to ``handle`` so far (read back from its file)."""
    handle.flush()
    digest = hashlib.sha256()
    with open(handle.name, "rb") as again:
        while chunk := again.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def export(
    db: Database,
    actor: Actor,
    *,
    format: ExportFormat | str,
    query: CallQuery,
    profile: Profile | str,
    path: Path,
    purpose: str,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ExportResult:
    """Write the calls ``query`` matches to ``path`` in ``format`` and audit the disclosure.

    Only supervisors and admins may: ``Permission.EXPORT_PERSONAL`` for a profile with a row per
    call (a pseudonymised row is still personal data), ``Permission.EXPORT_FIGURES`` for figures.
    ``purpose`` says why and to whom. ``progress`` is called with (calls written, calls to
    write); ``cancelled`` is asked as the export goes and ends it with :class:`ExportCancelled`
    when it returns True.
    """
    options = options or ExportOptions()
    format, profile, purpose = validate_request(format, profile, purpose, options)
    permissions.check(
        db, actor, Action.FIGURES_EXPORT if profile is Profile.FIGURES else Action.CALLS_EXPORT,
        format=format.value, profile=profile.value, file_name=Path(path).name,
    )  # fmt: skip
    options = ExportOptions(
        bom=options.bom,
        marking=options.marking.strip(),
        appendix=options.appendix and profile is not Profile.FIGURES,
        exported_by=actor.display_name,
    )
    writer = _writer(format)
    path = Path(path)
    job = ExportJob(
        db=db,
        query=query,
        profile=profile,
        options=options,
        total=count_matching(db, query),
        progress=progress,
        cancelled=cancelled,
        pseudonym=Pseudonymiser() if profile is Profile.PSEUDONYMISED else None,
        started_at=datetime.now(UTC),
    )
    if progress is not None:
        progress(0, job.total)
    with atomic_write(path, "wb") as raw:
        writer(raw, job)
        job.check_cancelled()
        # What the file covers: the calls written, or (figures, a PDF without its appendix) counted.
        rows = job.rows if _writes_calls(format, profile, options) else job.total
        raw.flush()
        os.fsync(raw.fileno())
        digest = file_sha256(raw)
        # The disclosure is audited before the file takes its place: no export without its record.
        with db.write() as session:
            audit.record(
                session, actor, AuditCategory.DISCLOSURE, "calls.export", "call", "",
                format=format.value, profile=profile.value, filters=query_filters(query), rows=rows,
                sha256=digest, purpose=purpose, file_name=path.name,
                per_call=_writes_calls(format, profile, options),
                **_option_details(format, options),
            )  # fmt: skip
    if progress is not None:
        progress(rows, rows)
    return ExportResult(path=path, rows=rows, sha256=digest, profile=profile, format=format)


def _writes_calls(format: ExportFormat, profile: Profile, options: ExportOptions) -> bool:
    """Whether the file holds one entry per call (otherwise only figures about them)."""
    if profile is Profile.FIGURES:
        return False
    return format is not ExportFormat.PDF or options.appendix


def _option_details(format: ExportFormat, options: ExportOptions) -> dict[str, Any]:
    if format is ExportFormat.CSV:
        return {"bom": options.bom}
    if format is ExportFormat.PDF:
        return {"marking": options.marking, "appendix": options.appendix}
    return {}
