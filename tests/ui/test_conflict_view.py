"""The conflict view (issue 13, item 3): two sessions edit one call; the second save is refused
and shows their change beside yours, to keep theirs, keep yours or merge, then save again."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from supportline.db import Database
from supportline.enums import CallStatus, Urgency
from supportline.services import calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallRecord
from supportline.sync import merge
from tests.factories import full_call, make_admin
from ui.tasks import TaskRunner
from ui.views.call_form import CallForm
from ui.views.conflict import ConflictDialog

TIMEOUT = 15_000


@pytest.fixture
def actor(db: Database) -> Actor:
    return make_admin(db)


@pytest.fixture
def original(db: Database, actor: Actor) -> CallRecord:
    return calls.save_call(
        db, actor, full_call(status=CallStatus.OPEN, closed_at=None, urgency=Urgency.URGENT)
    )


@pytest.fixture
def form(
    qtbot: QtBot, db: Database, actor: Actor, tasks: TaskRunner, original: CallRecord
) -> Iterator[CallForm]:
    widget = CallForm(db, actor, tasks, db.zone, record=original)
    widget.resize(1366, 700)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.discard_draft()
    widget.close()
    widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    tasks.wait_until_idle()


def _their_save(db: Database, actor: Actor, original: CallRecord) -> CallRecord:
    """The other workstation: a new summary and a higher urgency."""
    data = dataclasses.replace(
        original.data, summary="Theirs: four adults at the car wash", urgency=Urgency.CRISIS
    )
    return calls.save_call(db, actor, data, expected_version=original.version)


def _type_mine(form: CallForm) -> None:
    """Yours: the summary (which they changed too) and the narrative (which only you changed)."""
    form.call.summary.setFocus()
    form.call.summary.end(False)
    QTest.keyClicks(form.call.summary, " (mine)")
    form.call.narrative.setFocus()
    form.call.narrative.moveCursor(form.call.narrative.textCursor().MoveOperation.End)
    QTest.keyClicks(form.call.narrative, " Mine: interpreter booked.")


def _save_into_conflict(qtbot: QtBot, form: CallForm) -> ConflictDialog:
    with qtbot.waitSignal(form.conflict_opened, timeout=TIMEOUT) as blocker:
        form.save()
    dialog = blocker.args[0]
    assert isinstance(dialog, ConflictDialog)
    assert dialog.isVisible()
    return dialog


def _save_again(qtbot: QtBot, form: CallForm) -> CallRecord:
    with qtbot.waitSignal(form.saved, timeout=TIMEOUT) as blocker:
        form.save()
    record: CallRecord = blocker.args[0]
    return record


def test_the_view_shows_each_difference_with_the_right_preset(
    qtbot: QtBot, db: Database, actor: Actor, original: CallRecord, form: CallForm
) -> None:
    _their_save(db, actor, original)
    _type_mine(form)
    dialog = _save_into_conflict(qtbot, form)
    by_key = {d.key: d for d in dialog.diffs}
    assert set(by_key) == {"summary", "urgency", "narrative"}
    assert by_key["summary"].both_changed and dialog.choice("summary") == "yours"
    assert dialog.choice("urgency") == "theirs"  # only they changed it
    assert dialog.choice("narrative") == "yours"  # only you changed it
    assert dialog.value_text("urgency", "theirs") == Urgency.CRISIS.label
    assert dialog.value_text("summary", "yours").endswith("(mine)")
    # Nothing typed is lost while the view is open.
    assert form.call.summary.text() == original.data.summary + " (mine)"
    assert form.has_unsaved_changes()


def test_keeping_theirs_then_saving_again(
    qtbot: QtBot, db: Database, actor: Actor, original: CallRecord, form: CallForm
) -> None:
    theirs = _their_save(db, actor, original)
    _type_mine(form)
    dialog = _save_into_conflict(qtbot, form)
    QTest.mouseClick(dialog.keep_theirs_button, Qt.MouseButton.LeftButton)
    assert form.call.summary.text() == theirs.data.summary
    assert form.call_data().urgency is Urgency.CRISIS
    saved = _save_again(qtbot, form)
    assert saved.version == theirs.version + 1
    stored = calls.get_call(db, actor, original.id).data
    assert (stored.summary, stored.urgency, stored.narrative) == (
        theirs.data.summary,
        Urgency.CRISIS,
        theirs.data.narrative,
    )


def test_keeping_yours_then_saving_again(
    qtbot: QtBot, db: Database, actor: Actor, original: CallRecord, form: CallForm
) -> None:
    theirs = _their_save(db, actor, original)
    _type_mine(form)
    dialog = _save_into_conflict(qtbot, form)
    QTest.mouseClick(dialog.keep_yours_button, Qt.MouseButton.LeftButton)
    saved = _save_again(qtbot, form)
    assert saved.version == theirs.version + 1
    stored = calls.get_call(db, actor, original.id).data
    assert stored.summary == original.data.summary + " (mine)"
    assert stored.urgency is Urgency.URGENT  # yours: as you had it
    assert stored.narrative.endswith(" Mine: interpreter booked.")


def test_merging_field_by_field_then_saving_again(
    qtbot: QtBot, db: Database, actor: Actor, original: CallRecord, form: CallForm
) -> None:
    theirs = _their_save(db, actor, original)
    _type_mine(form)
    dialog = _save_into_conflict(qtbot, form)
    QTest.mouseClick(dialog.radio("summary", "theirs"), Qt.MouseButton.LeftButton)  # their summary
    assert dialog.choice("summary") == "theirs"
    QTest.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    saved = _save_again(qtbot, form)
    assert saved.version == theirs.version + 1
    stored = calls.get_call(db, actor, original.id).data
    assert stored.summary == theirs.data.summary  # chosen: theirs
    assert stored.urgency is Urgency.CRISIS  # only they changed it
    assert stored.narrative.endswith(" Mine: interpreter booked.")  # only you changed it


def test_cancel_keeps_everything_typed_and_the_next_save_conflicts_again(
    qtbot: QtBot, db: Database, actor: Actor, original: CallRecord, form: CallForm
) -> None:
    _their_save(db, actor, original)
    _type_mine(form)
    dialog = _save_into_conflict(qtbot, form)
    dialog.reject()
    assert form.call.summary.text() == original.data.summary + " (mine)"
    _save_into_conflict(qtbot, form).reject()


def test_merge_rejects_unknown_fields() -> None:
    data = full_call()
    with pytest.raises(ValueError, match="not fields of a call: colour"):
        merge.merge(data, data, {"colour": "yours"})
    assert merge.merge(data, dataclasses.replace(data, summary="x"), {"summary": "yours"}).summary == "x"
