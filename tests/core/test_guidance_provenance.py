"""Provenance: the exact guidance text a call rested on, on both dialects; required checklist items
before a route is closed."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportline.db import Database
from supportline.db.models import GuidanceVersion
from supportline.enums import ChecklistState, Route
from supportline.guidance import loader, provenance
from supportline.guidance.model import Template
from supportline.services import calls
from supportline.services.call_types import ChecklistEntry, RouteData
from supportline.services.errors import NotFoundError, ValidationError
from tests.factories import full_call, make_admin

TEXT = """+++
id = "victim"
route = "victim"
title = "Victim support"
version = "{version}"
reviewed = 2026-11-20
sources = ["Home Office statutory guidance"]
sample = true

[[checklist]]
id = "safety"
text = "Is anyone in immediate danger?"
required = true

[[checklist]]
id = "nrm"
text = "Explain the NRM"
required = true

[[checklist]]
id = "leaflet"
text = "Offer a leaflet"

[[when]]
reason = "Possible victim"
always = true
+++
# Victim support ({version})
"""


def _template(folder: Path, version: str = "1.0") -> Template:
    (folder / "victim.md").write_text(TEXT.format(version=version), encoding="utf-8")
    template = loader.load_folder(folder).get("victim")
    assert template is not None
    return template


def _count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(GuidanceVersion)) or 0


def test_remember_stores_once_and_gives_back_the_text(db: Database, tmp_path: Path) -> None:
    template = _template(tmp_path)
    assert provenance.remember(db, template) == template.content_hash
    assert provenance.remember(db, template) == template.content_hash
    assert _count(db) == 1
    stored = provenance.stored(db, template.content_hash)
    assert (stored.template_id, stored.version, stored.text) == ("victim", "1.0", template.text)
    assert stored.first_used_at.tzinfo is not None
    again = provenance.parse_stored(stored.text, stored.template_id)
    assert (again.id, again.checklist, again.rules, again.body, again.content_hash) == (
        template.id,
        template.checklist,
        template.rules,
        template.body,
        template.content_hash,
    )


def test_an_unknown_hash_is_not_found(db: Database) -> None:
    with pytest.raises(NotFoundError):
        provenance.stored(db, "0" * 64)


def test_parse_stored_refuses_text_that_is_not_a_template() -> None:
    with pytest.raises(provenance.StoredGuidanceError):
        provenance.parse_stored("no front matter")


def test_remember_at_the_same_moment_from_many_threads(db: Database, tmp_path: Path) -> None:
    template = _template(tmp_path)
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def work() -> None:
        try:
            start.wait()
            provenance.remember(db, template)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _count(db) == 1


def _route(template: Template, *entries: ChecklistEntry, closed: bool = True) -> RouteData:
    opened = full_call().opened_at
    return RouteData(
        route=Route.VICTIM,
        template_id=template.id,
        template_hash=template.content_hash,
        checklist=entries,
        closed_at=opened + timedelta(minutes=20) if closed else None,
    )


def test_editing_a_template_after_a_call_does_not_change_what_it_rested_on(
    db: Database, tmp_path: Path
) -> None:
    admin = make_admin(db)
    first = _template(tmp_path, "1.0")
    provenance.remember(db, first)
    at = full_call().opened_at
    route = _route(
        first,
        ChecklistEntry("safety", ChecklistState.TICKED, at),
        ChecklistEntry("nrm", ChecklistState.TICKED, at),
    )
    saved = calls.save_call(db, admin, full_call(routes=(route,)))
    edited = _template(tmp_path, "2.0")
    assert edited.content_hash != first.content_hash
    (stored_route,) = calls.get_call(db, admin, saved.id).data.routes
    assert stored_route.template_hash == first.content_hash
    stored = provenance.stored(db, first.content_hash)
    assert stored.text == first.text and stored.version == "1.0"
    assert provenance.parse_stored(stored.text).body == "# Victim support (1.0)\n"


def test_a_route_must_name_stored_guidance(db: Database, tmp_path: Path) -> None:
    admin = make_admin(db)
    template = _template(tmp_path)  # never remembered
    with pytest.raises(ValidationError) as caught:
        calls.save_call(db, admin, full_call(routes=(_route(template, closed=False),)))
    assert [e.field for e in caught.value.errors] == ["routes[0].template_hash"]


def test_a_route_closes_only_with_its_required_items_done(db: Database, tmp_path: Path) -> None:
    admin = make_admin(db)
    template = _template(tmp_path)
    provenance.remember(db, template)
    at = full_call().opened_at
    data = full_call(routes=(_route(template, ChecklistEntry("safety", ChecklistState.TICKED, at)),))
    with pytest.raises(ValidationError) as caught:
        calls.save_call(db, admin, data)
    (error,) = caught.value.errors
    assert error.field == "routes[0].checklist" and "nrm" in error.message and "safety" not in error.message

    # Open, the route may be saved half done.
    open_route = _route(template, ChecklistEntry("safety", ChecklistState.TICKED, at), closed=False)
    saved = calls.save_call(db, admin, replace(data, routes=(open_route,)))

    # Skipped with a reason counts as done; the optional item need not be touched.
    done = _route(
        template,
        ChecklistEntry("safety", ChecklistState.TICKED, at),
        ChecklistEntry("nrm", ChecklistState.SKIPPED, at, "Adult declined; duty to notify explained"),
    )
    record = calls.save_call(db, admin, replace(data, routes=(done,)), expected_version=saved.version)
    assert record.data.routes[0].closed_at is not None


def test_a_skip_without_a_reason_does_not_count(db: Database, tmp_path: Path) -> None:
    admin = make_admin(db)
    template = _template(tmp_path)
    provenance.remember(db, template)
    at = full_call().opened_at
    route = _route(
        template,
        ChecklistEntry("safety", ChecklistState.TICKED, at),
        ChecklistEntry("nrm", ChecklistState.SKIPPED, at, "   "),
    )
    with pytest.raises(ValidationError) as caught:
        calls.save_call(db, admin, full_call(routes=(route,)))
    assert {e.field for e in caught.value.errors} & {
        "routes[0].checklist",
        "routes[0].checklist[1].skip_reason",
    }
