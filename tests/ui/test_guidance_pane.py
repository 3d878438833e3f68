"""Guidance in the call form: route suggestions, a pane per chosen route, what is stored.

The templates are small test ones written to a temporary folder (``guidance_helpers``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from supportline.db import Database
from supportline.enums import AgeGroup, AgencyType, ChecklistState, Route
from supportline.guidance import provenance
from supportline.guidance.loader import GuidanceLibrary
from supportline.services import calls, drafts
from supportline.services.actor import Actor
from supportline.services.call_types import CallRecord, RouteData
from tests.factories import make_admin
from tests.ui.guidance_helpers import LEGAL, VICTIM, write_templates
from ui.tasks import TaskRunner
from ui.views.call_form import CallForm
from ui.views.guidance_pane import GuidancePane

Key = Qt.Key
TIMEOUT = 15_000

MakeForm = Callable[..., CallForm]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def actor(db: Database) -> Actor:
    return make_admin(db)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_templates(tmp_path / "guidance")


@pytest.fixture
def library(folder: Path) -> GuidanceLibrary:
    return GuidanceLibrary(folder)


@pytest.fixture
def make_form(
    qtbot: QtBot, db: Database, actor: Actor, tasks: TaskRunner, library: GuidanceLibrary
) -> Iterator[MakeForm]:
    forms: list[CallForm] = []

    def make(**kwargs: object) -> CallForm:
        form = CallForm(db, actor, tasks, db.zone, library=library, **kwargs)  # type: ignore[arg-type]
        form.resize(1366, 760)
        form.show()
        qtbot.waitExposed(form)
        form.activateWindow()
        QApplication.processEvents()
        forms.append(form)
        return form

    yield make
    for form in forms:
        form.discard_draft()
        form.close()
        form.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    tasks.wait_until_idle()


def fill_caller(form: CallForm) -> None:
    form.caller.name.setText("DS Ottoline Pengelly")
    form.caller.agency.set_value(AgencyType.POLICE)


def key(widget: object, k: Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(widget, k, modifiers)  # type: ignore[call-overload]
    QApplication.processEvents()


def wait_suggestions(qtbot: QtBot, form: CallForm) -> None:
    with qtbot.waitSignal(form.suggestions_updated, timeout=TIMEOUT):
        pass


def choose(form: CallForm, route: Route) -> GuidancePane:
    box = form.advice.routes.boxes[route]
    box.setFocus()
    key(box, Key.Key_Space)
    assert box.isChecked()
    return form.panes[route]


def row_for(pane: GuidancePane, item_id: str):  # type: ignore[no-untyped-def]
    return next(row for row in pane.rows if row.item.id == item_id)


def save(qtbot: QtBot, form: CallForm) -> CallRecord:
    with qtbot.waitSignal(form.saved, timeout=TIMEOUT) as blocker:
        form.save()
    record: CallRecord = blocker.args[0]
    return record


# --- the key test -------------------------------------------------------------------------------


def test_a_call_routed_to_victim_and_legal_keeps_its_guidance_record(
    qtbot: QtBot, db: Database, actor: Actor, tasks: TaskRunner, make_form: MakeForm
) -> None:
    form = make_form()
    fill_caller(form)
    form.case.suspect_may_be_victim.setFocus()
    key(form.case.suspect_may_be_victim, Key.Key_Space)
    qtbot.waitUntil(lambda: Route.LEGAL in form.suggestions(), timeout=TIMEOUT)
    assert form.advice.suggestion_text(Route.LEGAL) == "Suggested: a suspect may be a victim"
    assert form.advice.suggestion_text(Route.TACTICAL) == ""

    victim = choose(form, Route.VICTIM)
    legal = choose(form, Route.LEGAL)
    assert form.guidance_section.isVisible()
    assert [form.guidance_tabs.tabText(i) for i in range(form.guidance_tabs.count())] == [
        Route.VICTIM.label,
        Route.LEGAL.label,
    ]
    assert victim.template is not None and victim.template.id == "victim"
    assert "Original body" in victim.browser.toPlainText()
    assert not victim.close_button.isEnabled()
    assert "Victim safe now" in victim.missing.text()

    # Victim: safety ticked by keyboard, the interpreter skipped with a reason, NRM ticked by click.
    safety = row_for(victim, "safety")
    safety.box.setFocus()
    key(safety.box, Key.Key_Space)
    interpreter = row_for(victim, "interpreter")
    interpreter.skip_button.click()
    assert interpreter.reason.isVisibleTo(victim) and QApplication.focusWidget() is interpreter.reason
    assert not victim.close_button.isEnabled()  # a skip needs its reason
    QTest.keyClicks(interpreter.reason, "Officer speaks Tigrinya")
    QTest.mouseClick(row_for(victim, "nrm").label, Qt.MouseButton.LeftButton)
    assert row_for(victim, "nrm").box.isChecked()
    victim.advice.setFocus()
    QTest.keyClicks(victim.advice, "Safety first; NRM explained.")
    assert victim.close_button.isEnabled()
    assert victim.adviser.text() == f"Adviser: {actor.display_name}"
    victim.close_button.click()
    assert victim.close_button.text() == "Reopen route"

    s45 = row_for(legal, "s45")
    s45.box.setFocus()
    key(s45.box, Key.Key_Return)  # Enter toggles too
    QTest.keyClicks(legal.advice, "Raise s.45 before interview.")

    record = save(qtbot, form)
    tasks.wait_until_idle()
    stored = calls.get_call(db, actor, record.id).data
    routes = {r.route: r for r in stored.routes}
    assert set(routes) == {Route.VICTIM, Route.LEGAL}

    v = routes[Route.VICTIM]
    assert (v.chosen, v.suggested, v.suggestion_reasons) == (
        True, True, ("Every call is screened for victim support",),
    )  # fmt: skip
    assert v.template_id == "victim"
    assert v.template_hash == sha256(VICTIM)
    assert provenance.stored(db, sha256(VICTIM)).text == VICTIM
    assert provenance.stored(db, sha256(VICTIM)).template_id == "victim"
    states = {e.item_id: (e.state, e.skip_reason) for e in v.checklist}
    assert states == {
        "safety": (ChecklistState.TICKED, ""),
        "interpreter": (ChecklistState.SKIPPED, "Officer speaks Tigrinya"),
        "nrm": (ChecklistState.TICKED, ""),
    }
    assert all(e.at >= stored.opened_at for e in v.checklist)
    assert v.advice_summary == "Safety first; NRM explained."
    assert v.adviser_id == actor.user_id
    assert v.closed_at is not None

    legal_route = routes[Route.LEGAL]
    assert (legal_route.chosen, legal_route.suggested) == (True, True)
    assert legal_route.suggestion_reasons == ("A suspect may be a victim",)
    assert legal_route.template_id == "legal"
    assert legal_route.template_hash == sha256(LEGAL)
    assert provenance.stored(db, sha256(LEGAL)).text == LEGAL
    assert [(e.item_id, e.state) for e in legal_route.checklist] == [("s45", ChecklistState.TICKED)]
    assert legal_route.advice_summary == "Raise s.45 before interview."
    assert legal_route.closed_at is None
    assert stored.suspect_may_be_victim is True


# --- suggestions --------------------------------------------------------------------------------


def test_suggestions_follow_the_form_and_an_unchosen_one_is_kept(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm
) -> None:
    form = make_form()
    fill_caller(form)
    assert set(form.suggestions()) == {Route.VICTIM}
    assert form.suggestions()[Route.VICTIM].template_id == "victim"
    victim = choose(form, Route.VICTIM)
    assert victim.template is not None and victim.template.id == "victim"

    row = form.case.persons.add_row()
    row.age_group.set_value(AgeGroup.CHILD)
    qtbot.waitUntil(lambda: form.suggestions()[Route.VICTIM].template_id == "victim-child", timeout=TIMEOUT)
    assert "a child, or age disputed" in form.advice.suggestion_text(Route.VICTIM)
    # Nothing was recorded on the pane yet, so it takes the more specific template.
    assert victim.template is not None and victim.template.id == "victim-child"

    form.call.urgency.setCurrentIndex(form.call.urgency.findText("Crisis"))
    qtbot.waitUntil(lambda: Route.TACTICAL in form.suggestions(), timeout=TIMEOUT)
    assert form.advice.suggestion_text(Route.TACTICAL) == "Suggested: crisis on the line"

    record = save(qtbot, form)
    routes = {r.route: r for r in calls.get_call(db, actor, record.id).data.routes}
    assert (routes[Route.TACTICAL].chosen, routes[Route.TACTICAL].suggested) == (False, True)
    assert routes[Route.TACTICAL].suggestion_reasons == ("Crisis on the line",)
    assert routes[Route.VICTIM].template_id == "victim-child"


def test_a_touched_pane_keeps_its_template(qtbot: QtBot, make_form: MakeForm) -> None:
    form = make_form()
    victim = choose(form, Route.VICTIM)
    QTest.keyClicks(victim.advice, "Started")
    row = form.case.persons.add_row()
    row.age_group.set_value(AgeGroup.CHILD)
    qtbot.waitUntil(lambda: form.suggestions()[Route.VICTIM].template_id == "victim-child", timeout=TIMEOUT)
    assert victim.template is not None and victim.template.id == "victim"


# --- the pane on its own ------------------------------------------------------------------------


@pytest.fixture
def pane(
    qtbot: QtBot, db: Database, actor: Actor, tasks: TaskRunner, library: GuidanceLibrary
) -> Iterator[GuidancePane]:
    widget = GuidancePane(
        db, actor, tasks, db.zone, RouteData(route=Route.VICTIM), template=library.get("victim")
    )
    widget.resize(1000, 600)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    yield widget
    widget.close()
    widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    tasks.wait_until_idle()


def test_the_route_closes_only_when_every_required_item_is_done(pane: GuidancePane) -> None:
    assert pane.template is not None and pane.template.sample
    assert pane.badge.isVisibleTo(pane)
    assert "last reviewed 20 Nov 2026" in pane.meta.text()
    assert not pane.close_button.isEnabled()
    row_for(pane, "safety").box.click()
    assert not pane.close_button.isEnabled()
    assert pane.missing.text().endswith("Interpreter arranged")
    row_for(pane, "interpreter").skip_button.click()
    assert not pane.close_button.isEnabled()
    row_for(pane, "interpreter").reason.setText("   ")
    QTest.keyClicks(row_for(pane, "interpreter").reason, " ")
    assert not pane.close_button.isEnabled()  # a blank reason is no reason
    QTest.keyClicks(row_for(pane, "interpreter").reason, "Not needed")
    assert pane.close_button.isEnabled()
    row_for(pane, "safety").box.click()  # unticked again
    assert not pane.close_button.isEnabled()
    assert not pane.close_route()
    row_for(pane, "safety").box.click()
    assert pane.close_route()
    data = pane.route_data()
    assert data.closed_at is not None
    assert not row_for(pane, "safety").box.isEnabled()  # closed: read-only until reopened
    pane.close_button.click()
    assert pane.route_data().closed_at is None and row_for(pane, "safety").box.isEnabled()


def test_ticking_after_a_skip_replaces_the_skip(pane: GuidancePane) -> None:
    row = row_for(pane, "interpreter")
    row.skip_button.click()
    QTest.keyClicks(row.reason, "Not needed")
    assert [(e.state, e.skip_reason) for e in pane.route_data().checklist] == [
        (ChecklistState.SKIPPED, "Not needed")
    ]
    row.box.click()
    assert not row.reason.isVisibleTo(pane)
    assert [(e.state, e.skip_reason) for e in pane.route_data().checklist] == [(ChecklistState.TICKED, "")]


def test_find_in_the_pane(qtbot: QtBot, pane: GuidancePane) -> None:
    pane.browser.setFocus()
    key(pane.browser, Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert pane.find_bar.isVisible()
    assert QApplication.focusWidget() is pane.find_bar.edit
    QTest.keyClicks(pane.find_bar.edit, "safety")
    cursor = pane.browser.textCursor()
    assert cursor.selectedText().lower() == "safety"
    first = cursor.selectionStart()
    key(pane.find_bar.edit, Key.Key_Return)
    second = pane.browser.textCursor().selectionStart()
    assert second > first
    key(pane.find_bar.edit, Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert pane.browser.textCursor().selectionStart() == first
    key(pane.find_bar.edit, Key.Key_F3)
    assert pane.browser.textCursor().selectionStart() == second
    key(pane.find_bar.edit, Key.Key_F3)  # wraps round to the first
    assert pane.browser.textCursor().selectionStart() == first
    QTest.keyClicks(pane.find_bar.edit, "zzz-nowhere")
    assert pane.find_bar.result.text() == "Not found"
    key(pane.find_bar.edit, Key.Key_Escape)
    assert not pane.find_bar.isVisible()
    assert QApplication.focusWidget() is pane.browser


def test_caller_text_is_never_rendered_as_markup(pane: GuidancePane) -> None:
    QTest.keyClicks(pane.advice, "<b>bold</b> **not bold**")
    assert pane.route_data().advice_summary == "<b>bold</b> **not bold**"
    assert pane.advice.toPlainText() == "<b>bold</b> **not bold**"


# --- provenance and drafts ----------------------------------------------------------------------


def test_a_saved_call_shows_the_guidance_as_it_was(
    qtbot: QtBot,
    db: Database,
    actor: Actor,
    tasks: TaskRunner,
    folder: Path,
    library: GuidanceLibrary,
    make_form: MakeForm,
) -> None:
    form = make_form()
    fill_caller(form)
    victim = choose(form, Route.VICTIM)
    row_for(victim, "safety").box.click()
    record = save(qtbot, form)
    tasks.wait_until_idle()

    changed = VICTIM.replace("Original body", "Changed body").replace('version = "1.0"', 'version = "1.1"')
    (folder / "victim.md").write_text(changed, encoding="utf-8")
    assert library.refresh()
    assert library.get("victim") is not None
    assert "Changed body" in library.get("victim").body  # type: ignore[union-attr]

    again = make_form(record=calls.get_call(db, actor, record.id))
    pane = again.panes[Route.VICTIM]
    qtbot.waitUntil(lambda: pane.template is not None, timeout=TIMEOUT)
    assert pane.shows_stored_text
    assert "Original body" in pane.browser.toPlainText()
    assert "Changed body" not in pane.browser.toPlainText()
    assert "Version 1.0" in pane.meta.text() and "as given on this call" in pane.meta.text()
    assert row_for(pane, "safety").box.isChecked()
    # Saving again keeps the hash of the text the advice was given against.
    row_for(pane, "nrm").box.click()
    resaved = save(qtbot, again)
    [v] = [r for r in calls.get_call(db, actor, resaved.id).data.routes if r.route is Route.VICTIM]
    assert v.template_hash == sha256(VICTIM)
    assert {e.item_id for e in v.checklist} == {"safety", "nrm"}


def test_a_draft_brings_back_the_panes(
    qtbot: QtBot, db: Database, actor: Actor, tasks: TaskRunner, make_form: MakeForm
) -> None:
    form = make_form()
    fill_caller(form)
    victim = choose(form, Route.VICTIM)
    row_for(victim, "safety").box.click()
    interpreter = row_for(victim, "interpreter")
    interpreter.skip_button.click()
    QTest.keyClicks(interpreter.reason, "Family member interprets")
    QTest.keyClicks(victim.advice, "Advice so far")
    with qtbot.waitSignal(form.draft_saved, timeout=TIMEOUT):
        form.flush_draft()
    [draft] = drafts.list_drafts(db, actor)

    restored = make_form(draft=draft)
    pane = restored.panes[Route.VICTIM]
    qtbot.waitUntil(lambda: pane.template is not None, timeout=TIMEOUT)
    assert restored.advice.routes.boxes[Route.VICTIM].isChecked()
    assert row_for(pane, "safety").box.isChecked()
    assert row_for(pane, "interpreter").reason.text() == "Family member interprets"
    assert pane.advice.toPlainText() == "Advice so far"
    assert pane.close_button.isEnabled()
    form.discard_draft()
