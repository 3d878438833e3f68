"""The call form, driven the way operators drive it: from the keyboard, on both databases.

The keyboard tests send keys only to whatever has the focus (or to the completer's popup while
it is open, as the window system would), move with Tab, and never set a widget's value directly.
Every name, force and number is invented; phone numbers are from Ofcom's drama range.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QScrollBar,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from supportline.db import Database
from supportline.enums import (
    AgeGroup,
    AgencyType,
    CallStatus,
    ConsentLevel,
    ExploitationType,
    FollowUpStatus,
    Indicator,
    NrmConsent,
    Outcome,
    ReferralTarget,
    Route,
    Sex,
    Urgency,
    WhereExploited,
)
from supportline.services import calls, drafts, followups
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, Caller, CallRecord, FollowUpData, PersonData, RouteData
from tests.factories import full_call, make_admin
from ui.tasks import TaskRunner
from ui.views.call_form import CallForm
from ui.widgets.call_timer import elapsed_text
from ui.widgets.local_time import wall_to_utc

Key = Qt.Key
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
TIMEOUT = 15_000

MakeForm = Callable[..., CallForm]


# --- the keyboard -------------------------------------------------------------------------------


def focused() -> QWidget:
    """Where a key goes: the open completer popup, else the focus widget."""
    widget = QApplication.activePopupWidget() or QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def type_text(text: str) -> None:
    for char in text:  # each key to whatever holds the keyboard at that moment
        QTest.keyClicks(focused(), char)
        QApplication.processEvents()  # as the event loop would between keystrokes


def press(key: Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(focused(), key, modifiers)
    QApplication.processEvents()


def tab_to(target: QWidget, limit: int = 200) -> int:
    """Press Tab until ``target`` has the focus; the number of presses (it must get there)."""
    for presses in range(limit):
        if QApplication.focusWidget() is target:
            return presses
        press(Key.Key_Tab)
    raise AssertionError(f"Tab never reached {target.accessibleName()!r}")


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def actor(db: Database) -> Actor:
    return make_admin(db)


@pytest.fixture
def make_form(qtbot: QtBot, db: Database, actor: Actor, tasks: TaskRunner) -> Iterator[MakeForm]:
    forms: list[CallForm] = []

    def make(**kwargs: object) -> CallForm:
        form = CallForm(db, actor, tasks, db.zone, **kwargs)  # type: ignore[arg-type]
        form.resize(1366, 700)
        form.show()
        qtbot.waitExposed(form)
        form.activateWindow()
        form.caller.name.setFocus()
        QApplication.processEvents()
        forms.append(form)
        return form

    yield make
    for form in forms:
        form.discard_draft()
    _dispose(forms, tasks)


def _dispose(widgets: list[CallForm] | list[QTabWidget], tasks: TaskRunner) -> None:
    """Delete the forms now, so none of their timers (autosave, lookup) fires after the runner
    and the database are gone; then let the runner finish what they asked for."""
    for widget in widgets:
        widget.close()
        widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    tasks.wait_until_idle()


def save_by_keyboard(qtbot: QtBot, form: CallForm) -> CallRecord:
    with qtbot.waitSignal(form.saved, timeout=TIMEOUT) as blocker:
        press(Key.Key_S, CTRL)
    record: CallRecord = blocker.args[0]
    return record


# --- the key test -------------------------------------------------------------------------------


def log_complete_call_by_keyboard(form: CallForm) -> None:
    """Fill every section of ``form`` with keys alone, starting with the focus in the officer's name
    (shared with the main window's Ctrl+N-to-saved test)."""
    assert QApplication.focusWidget() is form.caller.name
    # Caller
    type_text("DS Morwenna Tregarthen")
    press(Key.Key_Tab)
    type_text("Detective Sergeant")
    press(Key.Key_Tab)
    type_text("P")  # Police
    press(Key.Key_Tab)
    type_text("devon")
    press(Key.Key_Return)  # the first suggestion
    press(Key.Key_Tab)
    type_text("DC 4471")
    press(Key.Key_Tab)
    type_text("07700 900417")
    press(Key.Key_Tab)
    type_text("m.tregarthen@example.org")

    # The call
    tab_to(form.call.channel)
    press(Key.Key_Tab)
    type_text("c")  # Crisis
    press(Key.Key_Tab)
    type_text("con")  # Confidential
    press(Key.Key_Tab)
    type_text("Four men at a hand car wash; two may be under 18")
    press(Key.Key_Tab)
    type_text("Officer at the scene.")
    press(Key.Key_Return)
    type_text("Passports held by the manager.")
    press(Key.Key_Tab)

    # The case
    assert QApplication.focusWidget() is form.case.where
    type_text("UK")
    press(Key.Key_Tab)
    type_text("mersey")
    press(Key.Key_Down)
    press(Key.Key_Return)
    press(Key.Key_Tab)
    type_text("Con")  # Consents to NRM referral
    press(Key.Key_Tab)
    press(Key.Key_Space)  # county lines
    tab_to(form.case.exploitation.boxes[ExploitationType.LABOUR])
    press(Key.Key_Space)
    tab_to(form.case.exploitation.boxes[ExploitationType.CRIMINAL])
    press(Key.Key_Return)  # Enter toggles too
    tab_to(form.case.indicators.boxes[Indicator.RETENTION_OF_DOCUMENTS])
    press(Key.Key_Space)
    tab_to(form.case.persons.add_button)
    press(Key.Key_Space)
    person = form.case.persons.rows[0]
    assert QApplication.focusWidget() is person.age_group
    type_text("C")  # Child
    press(Key.Key_Tab)
    type_text("15")  # age (years)
    press(Key.Key_Tab)
    type_text("M")  # Male
    press(Key.Key_Tab)
    type_text("Person A")
    press(Key.Key_Tab)
    press(Key.Key_Space)  # age disputed
    press(Key.Key_Tab)
    type_text("viet")
    press(Key.Key_Return)
    type_text("alban")
    press(Key.Key_Return)
    press(Key.Key_Tab)
    type_text("vietnam")
    press(Key.Key_Return)
    press(Key.Key_Tab)
    press(Key.Key_Space)  # interpreter needed

    # Advice and outcome
    tab_to(form.advice.routes.boxes[Route.VICTIM])
    press(Key.Key_Space)
    press(Key.Key_Tab)
    press(Key.Key_Space)  # legal
    tab_to(form.advice.outcomes.boxes[Outcome.NRM_ADVISED])
    press(Key.Key_Space)
    tab_to(form.advice.referrals.add_button)
    press(Key.Key_Space)
    assert QApplication.focusWidget() is form.advice.referrals.rows[0].target
    type_text("Ch")  # Children's services
    press(Key.Key_Tab)
    type_text("Plymouth City Council")
    press(Key.Key_Tab)
    type_text("CS/77")
    tab_to(form.advice.follow_up)
    press(Key.Key_Space)
    press(Key.Key_Tab)
    press(Key.Key_Tab)
    type_text("Call the DS back")


def assert_complete_call_stored(stored: CallData) -> None:
    assert stored.caller == Caller(
        name="DS Morwenna Tregarthen",
        agency_type=AgencyType.POLICE,
        rank="Detective Sergeant",
        organisation="Devon and Cornwall Police",
        collar_number="DC 4471",
        phone="+447700900417",
        email="m.tregarthen@example.org",
    )
    assert stored.urgency is Urgency.CRISIS
    assert stored.consent_level is ConsentLevel.CONFIDENTIAL
    assert stored.summary == "Four men at a hand car wash; two may be under 18"
    assert stored.narrative == "Officer at the scene.\nPassports held by the manager."
    assert stored.where_exploited is WhereExploited.UK
    assert stored.force_area == "Merseyside Police"
    assert stored.nrm_consent is NrmConsent.CONSENTS
    assert stored.county_lines is True
    assert stored.exploitation_types == {ExploitationType.LABOUR, ExploitationType.CRIMINAL}
    assert stored.indicators == {Indicator.RETENTION_OF_DOCUMENTS}
    [p] = stored.persons
    assert (p.age_group, p.sex, p.name, p.age_disputed) == (AgeGroup.CHILD, Sex.MALE, "Person A", True)
    assert (p.age_years, p.date_of_birth) == (15, None)
    assert (p.nationalities, p.languages, p.interpreter_needed) == (("VN", "AL"), ("vie",), True)
    # With a guidance library, routes suggested but not chosen are kept too (chosen=False).
    assert {r.route for r in stored.routes if r.chosen} == {Route.VICTIM, Route.LEGAL}
    assert all(r.chosen or r.suggested for r in stored.routes)
    # Booking the follow-up ticked its outcome too (issue 14: typed once, not twice).
    assert stored.outcomes == {Outcome.NRM_ADVISED, Outcome.FOLLOW_UP_BOOKED}
    [ref] = stored.referrals
    assert (ref.target, ref.organisation, ref.reference) == (
        ReferralTarget.CHILDRENS_SERVICES, "Plymouth City Council", "CS/77",
    )  # fmt: skip
    [follow_up] = stored.follow_ups
    assert follow_up.note == "Call the DS back"
    assert follow_up.due_at > stored.opened_at
    assert abs(stored.opened_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert stored.status is CallStatus.OPEN


def test_a_complete_call_is_logged_with_the_keyboard_alone(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm, tasks: TaskRunner
) -> None:
    form = make_form()
    log_complete_call_by_keyboard(form)
    record = save_by_keyboard(qtbot, form)
    tasks.wait_until_idle()
    assert_complete_call_stored(calls.get_call(db, actor, record.id).data)
    assert form.title() == record.reference
    assert not form.has_unsaved_changes()


# --- editing ------------------------------------------------------------------------------------


def _saved(db: Database, actor: Actor, data: CallData) -> CallRecord:
    return calls.save_call(db, actor, data)


def test_an_existing_call_is_edited_by_keyboard(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm
) -> None:
    original = _saved(db, actor, full_call(status=CallStatus.OPEN, closed_at=None))
    form = make_form(record=original)
    assert form.title() == original.reference
    assert form.call_data().urgency is Urgency.URGENT

    press(Key.Key_U, ALT)  # &Urgency
    assert QApplication.focusWidget() is form.call.urgency
    type_text("Cr")
    press(Key.Key_T, ALT)  # Narra&tive
    assert QApplication.focusWidget() is form.call.narrative
    press(Key.Key_End, CTRL)
    press(Key.Key_Return)
    type_text("Update: all four now at the reception centre.")
    assert form.has_unsaved_changes()

    record = save_by_keyboard(qtbot, form)
    assert record.version == original.version + 1
    stored = calls.get_call(db, actor, original.id)
    assert stored.version == record.version
    assert stored.data.urgency is Urgency.CRISIS
    assert (
        stored.data.narrative == original.data.narrative + "\nUpdate: all four now at the reception centre."
    )
    # What the form does not show is carried over untouched.
    assert stored.data.routes == original.data.routes
    assert stored.data.persons == original.data.persons
    assert stored.data.referrals == original.data.referrals
    assert stored.data.case_id == original.data.case_id


def test_a_conflicting_save_is_refused_and_keeps_the_input(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm
) -> None:
    original = _saved(db, actor, full_call(status=CallStatus.OPEN, closed_at=None))
    form = make_form(record=original)
    # Somebody else saves the same call meanwhile.
    calls.save_call(db, actor, dataclasses.replace(original.data, summary="Theirs"), expected_version=1)
    press(Key.Key_Y, ALT)  # Short summar&y
    press(Key.Key_End)
    type_text(" (mine)")
    with qtbot.waitSignal(form.save_failed, timeout=TIMEOUT) as blocker:
        press(Key.Key_S, CTRL)
    assert "changed by someone else" in blocker.args[0]
    assert form.message.isVisible()
    assert form.call.summary.text() == original.data.summary + " (mine)"
    assert form.has_unsaved_changes()
    assert calls.get_call(db, actor, original.id).data.summary == "Theirs"


def test_close_call_saves_with_status_closed(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm
) -> None:
    original = _saved(db, actor, full_call(status=CallStatus.OPEN, closed_at=None))
    form = make_form(record=original)
    with qtbot.waitSignal(form.saved, timeout=TIMEOUT) as blocker:
        press(Key.Key_E, CTRL | Qt.KeyboardModifier.ShiftModifier)
    record: CallRecord = blocker.args[0]
    assert record.data.status is CallStatus.CLOSED
    assert record.data.closed_at is not None
    assert abs(record.data.closed_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert calls.get_call(db, actor, original.id).data.status is CallStatus.CLOSED
    assert not form.close_button.isEnabled()


# --- validation ---------------------------------------------------------------------------------


def test_refusals_show_beside_their_fields_and_nothing_typed_is_lost(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm
) -> None:
    form = make_form()
    press(Key.Key_G, ALT)  # A&gency type
    type_text("NGO")
    press(Key.Key_B, ALT)  # Call&back number
    type_text("12345")
    press(Key.Key_T, ALT)
    type_text("Narrative that must survive.")
    with qtbot.waitSignal(form.save_failed, timeout=TIMEOUT):
        press(Key.Key_S, CTRL)
    assert form.error_text("caller.name") == "Required"
    assert form.error_text("caller.phone").startswith("A UK number has 11 digits")
    assert form.caller.blocks["caller.name"].error.isVisible()
    assert form.caller.blocks["caller.phone"].error.isVisible()
    assert form.error_text("caller.agency_type") == ""
    assert QApplication.focusWidget() is form.caller.name  # the first bad field
    assert form.caller.phone.text() == "12345"
    assert form.call.narrative.toPlainText() == "Narrative that must survive."
    assert calls.count_calls(db, actor) == 0
    assert form.has_unsaved_changes()

    # Fixing both and saving again clears the messages.
    type_text("PC Gethin Morcambe")
    press(Key.Key_B, ALT)
    press(Key.Key_A, CTRL)
    type_text("07700 900123")
    record = save_by_keyboard(qtbot, form)
    assert record.data.caller.phone == "+447700900123"
    assert form.error_text("caller.name") == form.error_text("caller.phone") == ""
    assert not form.message.isVisible()


def test_an_unchosen_agency_and_a_bad_nationality_are_named(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm
) -> None:
    form = make_form()
    type_text("PC Gethin Morcambe")
    form.case.persons.add_button.setFocus()
    press(Key.Key_Space)
    tab_to(form.case.persons.rows[0].nationalities)
    type_text("Narnia")
    with qtbot.waitSignal(form.save_failed, timeout=TIMEOUT):
        press(Key.Key_S, CTRL)
    assert form.error_text("caller.agency_type") == "Required"
    # The form names what the operator typed (the service's message, which an import shows too,
    # names no value).
    assert form.error_text("persons[0].nationalities") == "Narnia is not a country this form knows"
    assert QApplication.focusWidget() is form.caller.agency
    assert form.case.persons.rows[0].nationalities.text() == "Narnia"


# --- drafts -------------------------------------------------------------------------------------


def _fill_everything(form: CallForm) -> None:
    """Type a little, then fill the rest through the widgets' own methods."""
    type_text("Imogen Saltire")
    press(Key.Key_B, ALT)
    type_text("07700 9001")  # half typed: not a valid number yet
    form.caller.rank.setText("Social worker")
    form.caller.agency.set_value(AgencyType.CHILDRENS_SERVICES)
    form.caller.organisation.setText("Wyvern County Council")
    form.caller.collar.setText("SW-88")
    form.caller.email.setText("i.saltire@example.org")
    form.call.urgency.set_value(Urgency.URGENT)
    form.call.summary.setText("Girl, 15, found at a nail bar")
    form.call.narrative.setPlainText("Line one\nLine two — ünïcödé")
    form.case.force_area.setText("Thames Valley Police")
    form.case.where.set_value(WhereExploited.BOTH)
    form.case.nrm_consent.set_value(NrmConsent.NOT_APPLICABLE)
    form.case.county_lines.setChecked(True)
    form.case.exploitation.set_values({ExploitationType.LABOUR})
    form.case.indicators.set_values({Indicator.ISOLATION, Indicator.DECEPTION})
    form.case.persons.add_button.click()
    row = form.case.persons.rows[0]
    row.age_group.set_value(AgeGroup.CHILD)
    row.sex.set_value(Sex.FEMALE)
    row.nationalities.setText("Vietnam, Alb")  # the second one half typed
    row.languages.setText("Vietnamese")
    row.interpreter.setChecked(True)
    form.advice.routes.set_values({Route.VICTIM})
    form.advice.outcomes.set_values({Outcome.CHILDRENS_SERVICES_REFERRAL})
    form.advice.referrals.add_button.click()
    form.advice.referrals.rows[0].target.set_value(ReferralTarget.CHILDRENS_SERVICES)
    form.advice.referrals.rows[0].organisation.setText("Wyvern County Council")
    form.advice.follow_up.setChecked(True)
    form.advice.follow_note.setText("Check placement")
    form.opened.set_moment(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=7))
    form.opened.moment_changed.emit()


def _state(form: CallForm) -> tuple[object, ...]:
    return (
        dataclasses.replace(form.call_data(), opened_at=form.call_data().opened_at.astimezone(UTC)),
        form.caller.phone.text(),
        [(r.nationalities.text(), r.languages.text()) for r in form.case.persons.rows],
        form.caller.agency.value(),
        form.title(),
    )


def test_a_draft_is_autosaved_and_restores_every_field(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm, tasks: TaskRunner
) -> None:
    form = make_form()
    _fill_everything(form)
    qtbot.waitUntil(lambda: len(drafts.list_drafts(db, actor)) == 1, timeout=TIMEOUT)
    tasks.wait_until_idle()
    form.flush_draft()  # anything typed since the first autosave
    tasks.wait_until_idle()
    [draft] = drafts.list_drafts(db, actor)
    assert draft.call_id == form.call_id() and not draft.is_edit
    assert draft.title == form.title()

    restored = make_form(draft=draft)
    assert _state(restored) == _state(form)
    assert restored.call_id() == form.call_id()
    assert restored.has_unsaved_changes()
    assert restored.timer.seconds() >= 7 * 60

    restored.caller.phone.setText("07700 900100")
    restored.case.persons.rows[0].nationalities.setText("Vietnam, Albania")
    with qtbot.waitSignal(restored.saved, timeout=TIMEOUT):
        restored.save()
    tasks.wait_until_idle()
    assert drafts.list_drafts(db, actor) == ()
    stored = calls.get_call(db, actor, form.call_id()).data
    assert stored.persons[0].nationalities == ("VN", "AL")
    form.discard_draft()


def test_a_draft_of_an_edit_keeps_the_version_it_was_opened_at(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm, tasks: TaskRunner
) -> None:
    original = _saved(db, actor, full_call(status=CallStatus.OPEN, closed_at=None))
    form = make_form(record=original)
    form.call.summary.setText("Edited in a draft")
    form.flush_draft()
    tasks.wait_until_idle()
    [draft] = drafts.list_drafts(db, actor)
    assert draft.is_edit and draft.call_id == original.id

    restored = make_form(draft=draft)
    assert restored.title() == original.reference
    assert restored.call.summary.text() == "Edited in a draft"
    with qtbot.waitSignal(restored.saved, timeout=TIMEOUT) as blocker:
        restored.save()
    assert blocker.args[0].version == original.version + 1


# --- repeat callers -----------------------------------------------------------------------------


def test_an_earlier_call_by_the_same_collar_number_is_shown_and_linked(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm
) -> None:
    earlier = _saved(
        db,
        actor,
        CallData(
            caller=Caller(name="DC Priya Hallam", agency_type=AgencyType.POLICE, collar_number="4781"),
            opened_at=datetime.now(UTC) - timedelta(days=2),
            summary="Cannabis farm, two teenagers",
        ),
    )
    form = make_form()
    type_text("DC Priya Hallam")
    press(Key.Key_G, ALT)
    type_text("P")
    press(Key.Key_L, ALT)  # Co&llar
    with qtbot.waitSignal(form.earlier.results_shown, timeout=TIMEOUT, check_params_cb=lambda n: n == 1):
        type_text("4781")
    assert earlier.reference in form.earlier.list.item(0).text()
    assert QApplication.focusWidget() is form.caller.collar  # looking up took no focus

    press(Key.Key_K, CTRL)
    assert form.earlier.linked_text() == f"Linked to {earlier.case_reference}"
    assert form.call_data().case_id == earlier.data.case_id
    assert form.caller.collar.text() == "4781"  # Ctrl+K did not "delete to end of line"

    record = save_by_keyboard(qtbot, form)
    assert record.data.case_id == earlier.data.case_id
    assert record.case_reference == earlier.case_reference


def test_unlinking_starts_a_new_case_again(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm
) -> None:
    earlier = _saved(
        db,
        actor,
        CallData(
            caller=Caller(name="DC Priya Hallam", agency_type=AgencyType.POLICE, phone="+447700900555"),
            opened_at=datetime.now(UTC) - timedelta(days=2),
        ),
    )
    form = make_form()
    type_text("DC Priya Hallam")
    press(Key.Key_G, ALT)
    type_text("P")
    press(Key.Key_B, ALT)
    with qtbot.waitSignal(form.earlier.results_shown, timeout=TIMEOUT, check_params_cb=lambda n: n == 1):
        type_text("07700 900555")
    press(Key.Key_K, CTRL)
    assert form.call_data().case_id == earlier.data.case_id
    form.earlier.unlink_button.click()
    assert form.call_data().case_id is None
    assert form.earlier.linked_text() == ""
    record = save_by_keyboard(qtbot, form)
    assert record.data.case_id != earlier.data.case_id


# --- accessibility and layout -------------------------------------------------------------------


def _inputs(form: CallForm) -> list[QWidget]:
    """Every widget a keyboard user can land on (not the inner parts of combos and spin boxes)."""
    out = []
    for widget in form.findChildren(QWidget):
        if not widget.isVisibleTo(form) or widget.focusPolicy() & Qt.FocusPolicy.TabFocus == 0:
            continue
        if isinstance(widget, QScrollBar) or isinstance(widget.parentWidget(), QAbstractSpinBox | QComboBox):
            continue
        out.append(widget)
    return out


def test_every_input_is_named_and_labelled(make_form: MakeForm, db: Database, actor: Actor) -> None:
    record = _saved(db, actor, full_call(status=CallStatus.OPEN, closed_at=None))
    form = make_form(record=record)  # with persons and referrals showing
    inputs = _inputs(form)
    assert len(inputs) > 60
    unnamed = [type(w).__name__ for w in inputs if not w.accessibleName().strip()]
    assert unnamed == []
    buddies = {label.buddy() for label in form.findChildren(QLabel) if label.buddy() is not None}
    unlabelled = [
        w.accessibleName() for w in inputs if not isinstance(w, QAbstractButton) and w not in buddies
    ]
    assert unlabelled == []
    for label in form.findChildren(QLabel):
        if "&" in label.text().replace("&&", ""):
            assert label.buddy() is not None, label.text()


def test_tab_visits_every_input_once_from_top_to_bottom(
    make_form: MakeForm, db: Database, actor: Actor
) -> None:
    record = _saved(db, actor, full_call(status=CallStatus.OPEN, closed_at=None))
    form = make_form(record=record)
    form.opened.setFocus()
    seen: list[QWidget] = []
    while (widget := QApplication.focusWidget()) not in seen:
        assert widget is not None
        seen.append(widget)
        press(Key.Key_Tab)
    enabled = [w for w in _inputs(form) if w.isEnabled()]
    assert set(seen) == set(enabled)
    assert seen[0] is form.opened and seen[1] is form.caller.name and seen[-1] is form.save_button

    def top(widget: QWidget) -> int:
        return widget.mapTo(form, widget.rect().topLeft()).y()

    # Two columns sit side by side at the top; below the caller section, order is reading order
    # (fields of one row may differ by a few pixels in height).
    below = seen[seen.index(form.call.channel) :]
    slack = form.fontMetrics().height()
    for before, after in itertools.pairwise(below):
        assert top(after) >= top(before) - slack, (before.accessibleName(), after.accessibleName())


def test_the_form_fits_a_small_laptop_screen(make_form: MakeForm) -> None:
    form = make_form()
    form.resize(1300, 600)
    QApplication.processEvents()
    assert form.minimumSizeHint().width() <= 1300
    assert form.scroll_area.horizontalScrollBar().maximum() == 0  # nothing sticks out sideways


# --- size and time --------------------------------------------------------------------------------


def test_a_one_megabyte_narrative_saves_and_round_trips(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm
) -> None:
    paragraph = "Officer reports: the workers were moved at night — 3 vans, ünïcödé names, “quotes”.\n"
    narrative = (paragraph * (1_048_576 // len(paragraph) + 1))[:1_048_576]
    form = make_form()
    type_text("DS Morwenna Tregarthen")
    press(Key.Key_G, ALT)
    type_text("P")
    form.call.narrative.setPlainText(narrative)
    press(Key.Key_T, ALT)
    press(Key.Key_End, CTRL)
    type_text("!")
    record = save_by_keyboard(qtbot, form)
    assert calls.get_call(db, actor, record.id).data.narrative == narrative + "!"


def test_call_timer_text() -> None:
    assert elapsed_text(0) == "00:00"
    assert elapsed_text(61) == "01:01"
    assert elapsed_text(3599) == "59:59"
    assert elapsed_text(3600) == "1:00:00"
    assert elapsed_text(5 * 3600 + 7) == "5:00:07"


def test_wall_clock_times_convert_across_daylight_saving_changes() -> None:
    london = ZoneInfo("Europe/London")
    # 01:30 on 29 March 2026 does not exist in London: it lands past the gap.
    assert wall_to_utc(datetime(2026, 3, 29, 1, 30), london) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert wall_to_utc(datetime(2026, 3, 29, 2, 30), london) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 01:30 on 25 October 2026 happens twice: BST first, GMT when the edit showed the second.
    assert wall_to_utc(datetime(2026, 10, 25, 1, 30), london) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert wall_to_utc(datetime(2026, 10, 25, 1, 30), london, fold=1) == datetime(
        2026, 10, 25, 1, 30, tzinfo=UTC
    )


def test_the_start_time_edit_is_in_the_line_zone_across_the_clock_change(make_form: MakeForm) -> None:
    form = make_form()
    moment = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT, the second 01:30 of the night
    form.opened.set_moment(moment)
    assert form.opened.moment() == moment
    assert form.opened.zone_abbreviation() == "GMT"
    form.opened.set_moment(moment - timedelta(hours=1))  # 01:30 BST, the first
    assert form.opened.moment() == moment - timedelta(hours=1)
    assert form.opened.zone_abbreviation() == "BST"


def test_a_person_removed_by_keyboard_is_gone_and_the_focus_moves_on(make_form: MakeForm) -> None:
    form = make_form()
    form.case.persons.add_button.setFocus()
    press(Key.Key_Space)
    form.case.persons.add_button.setFocus()
    press(Key.Key_Space)
    assert len(form.case.persons.rows) == 2
    form.case.persons.rows[0].remove_button.setFocus()
    press(Key.Key_Space)
    QApplication.processEvents()
    assert len(form.case.persons.rows) == 1
    assert QApplication.focusWidget() is form.case.persons.rows[0].age_group
    assert form.case.persons.rows[0].remove_button.text() == "Remove person 1"


def test_edit_form_shows_a_saved_call_as_stored(make_form: MakeForm, db: Database, actor: Actor) -> None:
    data = CallData(
        caller=Caller(name="Tomasz Wierzbicki", agency_type=AgencyType.NGO, phone="+447700900999"),
        opened_at=datetime(2026, 7, 1, 22, 15, tzinfo=UTC),
        persons=(PersonData(nationalities=("ER",), languages=("tir",)),),
        routes=(RouteData(route=Route.LEGAL, chosen=False, suggested=True),),
    )
    record = _saved(db, actor, data)
    form = make_form(record=record)
    assert form.caller.phone.text() == "07700 900999"
    assert form.case.persons.rows[0].nationalities.text() == "Eritrea"
    assert form.case.persons.rows[0].languages.text() == "Tigrinya"
    assert form.advice.routes.values() == frozenset()
    assert form.call_data().routes == record.data.routes  # a suggestion not taken is kept
    assert form.opened.moment() == record.data.opened_at
    assert form.opened.zone_abbreviation() == "BST"
    assert not form.has_unsaved_changes()


def test_two_forms_in_tabs_each_answer_only_their_own_keys(
    qtbot: QtBot, db: Database, actor: Actor, tasks: TaskRunner
) -> None:
    tabs = QTabWidget()
    first = CallForm(db, actor, tasks, db.zone)
    second = CallForm(db, actor, tasks, db.zone)
    tabs.addTab(first, first.title())
    tabs.addTab(second, second.title())
    tabs.resize(1366, 700)
    tabs.show()
    qtbot.waitExposed(tabs)
    tabs.activateWindow()
    tabs.setCurrentWidget(second)
    second.caller.name.setFocus()
    QApplication.processEvents()
    saves: list[str] = []
    first.save_action.triggered.connect(lambda: saves.append("first"))
    second.save_action.triggered.connect(lambda: saves.append("second"))
    with qtbot.waitSignal(second.save_failed, timeout=TIMEOUT):  # empty: refused, but it was asked
        press(Key.Key_S, CTRL)
    assert saves == ["second"]
    for form in (first, second):
        form.discard_draft()
    _dispose([tabs], tasks)


# --- follow-ups on the form (issue 14) --------------------------------------------------------


def _type_required_caller(form: CallForm) -> None:
    press(Key.Key_N, ALT)  # Officer &name
    type_text("DS Rhiannon Pellow")
    press(Key.Key_G, ALT)  # A&gency type
    type_text("Police")


def test_the_outcome_follow_up_booked_without_one_is_refused_on_the_follow_up_box(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm
) -> None:
    form = make_form()
    _type_required_caller(form)
    press(Key.Key_T, ALT)  # Narra&tive
    type_text("Officer will ring back after the interview.")
    outcome = form.advice.outcomes.boxes[Outcome.FOLLOW_UP_BOOKED]
    press(Key.Key_O, ALT)  # &Outcomes
    tab_to(outcome)
    press(Key.Key_Space)
    assert outcome.isChecked() and not form.advice.follow_up.isChecked()

    with qtbot.waitSignal(form.save_failed, timeout=TIMEOUT):
        press(Key.Key_S, CTRL)
    message = form.error_text("follow_ups")
    assert message.startswith("The outcome 'follow-up booked' needs the follow-up itself")
    assert form.advice.follow_up_error.isVisible()
    assert QApplication.focusWidget() is form.advice.follow_up  # where the fix is: one Space away
    assert message in form.advice.follow_up.accessibleDescription()  # said, not only shown
    assert form.call.narrative.toPlainText() == "Officer will ring back after the interview."
    assert outcome.isChecked()
    assert calls.count_calls(db, actor) == 0

    press(Key.Key_Space)  # book it (due tomorrow unless changed)
    assert form.error_text("follow_ups") == ""
    assert form.advice.follow_up.accessibleDescription() == ""
    record = save_by_keyboard(qtbot, form)
    assert Outcome.FOLLOW_UP_BOOKED in record.data.outcomes
    assert len(record.data.follow_ups) == 1
    assert record.data.follow_ups[0].due_at > datetime.now(UTC)


def test_booking_a_follow_up_ticks_the_outcome_and_unbooking_it_unticks_it(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm
) -> None:
    form = make_form()
    _type_required_caller(form)
    outcome = form.advice.outcomes.boxes[Outcome.FOLLOW_UP_BOOKED]
    press(Key.Key_P, ALT)  # Book a follow-u&p (the mnemonic only moves there)
    assert QApplication.focusWidget() is form.advice.follow_up and not form.advice.follow_up.isChecked()
    press(Key.Key_Space)
    assert outcome.isChecked()
    press(Key.Key_Space)
    assert not outcome.isChecked()  # the form ticked it, so it goes with the booking
    press(Key.Key_Space)
    record = save_by_keyboard(qtbot, form)
    assert Outcome.FOLLOW_UP_BOOKED in record.data.outcomes
    assert len(record.data.follow_ups) == 1

    # An outcome the operator ticked stays when the booking is taken away.
    form2 = make_form()
    _type_required_caller(form2)
    outcome2 = form2.advice.outcomes.boxes[Outcome.FOLLOW_UP_BOOKED]
    press(Key.Key_O, ALT)
    tab_to(outcome2)
    press(Key.Key_Space)
    press(Key.Key_P, ALT)
    press(Key.Key_Space)
    press(Key.Key_Space)
    assert outcome2.isChecked()


def test_done_and_snoozed_follow_ups_are_shown_read_only_and_the_form_never_changes_them(
    qtbot: QtBot, db: Database, actor: Actor, make_form: MakeForm
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    data = full_call(status=CallStatus.OPEN, closed_at=None)
    data = dataclasses.replace(
        data,
        follow_ups=(
            FollowUpData(due_at=now + timedelta(hours=2), note="Call back the DS"),
            FollowUpData(due_at=now + timedelta(hours=3), note="Chase the NRM referral"),
        ),
    )
    saved = _saved(db, actor, data)
    done_rec, snoozed_rec = followups.for_call(db, actor, saved.id)
    followups.complete_follow_up(
        db, actor, done_rec.id, expected_version=done_rec.version, outcome="Spoke to the DS"
    )
    followups.snooze_follow_up(
        db, actor, snoozed_rec.id, expected_version=snoozed_rec.version,
        until=now + timedelta(hours=6), reason="NRM team closed until the morning",
    )  # fmt: skip
    record = calls.get_call(db, actor, saved.id)
    assert [f.status for f in record.data.follow_ups] == [FollowUpStatus.DONE, FollowUpStatus.SNOOZED]

    form = make_form(record=record)
    kept = form.advice.kept_follow_ups_text()
    assert form.advice.follow_ups_kept.isVisible()
    assert "Done" in kept and "Call back the DS" in kept
    assert "Snoozed" in kept and "Chase the NRM referral" in kept
    assert "Call back the DS" in form.advice.follow_up.accessibleDescription()
    # Neither is in the editable inputs: there is no open follow-up to edit.
    assert not form.advice.follow_up.isChecked()
    assert not form.advice.follow_due.isEnabled()

    # Booking a new one by keyboard and saving: accepted, the done and snoozed ones untouched.
    press(Key.Key_P, ALT)
    press(Key.Key_Space)
    tab_to(form.advice.follow_note)
    type_text("Review the case with the duty adviser")
    saved_again = save_by_keyboard(qtbot, form)
    stored = followups.for_call(db, actor, saved.id)
    assert [(f.status, f.note) for f in stored] == [
        (FollowUpStatus.DONE, "Call back the DS"),
        (FollowUpStatus.SNOOZED, "Chase the NRM referral"),
        (FollowUpStatus.OPEN, "Review the case with the duty adviser"),
    ]
    assert stored[0].due_at == done_rec.due_at and stored[1].due_at == snoozed_rec.due_at

    # Unbooking the new (open) one removes only it; the kept ones stay.
    press(Key.Key_P, ALT)
    press(Key.Key_Space)
    assert saved_again.version < save_by_keyboard(qtbot, form).version
    stored = followups.for_call(db, actor, saved.id)
    assert [f.status for f in stored] == [FollowUpStatus.DONE, FollowUpStatus.SNOOZED]
