"""Keys an operator presses to log a call: the real call form, driven by keyboard alone.

Two calls are logged, each from the moment the form opens (focus in the officer's name) to the
saved record, with every key sent to whatever holds the focus (or the open completer popup),
widgets found by their accessible names as a screen reader finds them:

- **repeat caller**: the officer rang before (an earlier call with their collar number is on
  record); a 200-character narrative, the victim route with its required checklist and a line of
  advice, one outcome ("Advice given only"), linked to the earlier call's case;
- **first-time caller**: the same call from an officer never heard from, every caller field typed.

It reports the keys pressed, the characters typed apart: *other keys* are every key that is not
a character of the narrative or the advice (the caller's details typed count, as do Tab, Space,
Alt+letter and Ctrl+S, one each). Target (issue 11): a routine repeat-caller call in <= 60 other
keys. Every stored value is checked against what was typed, so a scenario cannot "win" by
skipping a field.

    .venv/bin/python bench/bench_keystrokes.py          # prints a table, writes bench/out/keystrokes.json

The scenarios are also run by ``tests/ui/test_keystrokes.py`` (which asserts the target).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from supportline.db import Database, create_database  # noqa: E402
from supportline.db.migrate import upgrade  # noqa: E402
from supportline.enums import AgencyType, ChecklistState, Outcome, Route  # noqa: E402
from supportline.guidance.loader import GuidanceLibrary  # noqa: E402
from supportline.resources import resource_path  # noqa: E402
from supportline.services import accounts, calls  # noqa: E402
from supportline.services.actor import Actor  # noqa: E402
from supportline.services.call_types import CallData, Caller, CallRecord  # noqa: E402
from ui.tasks import TaskRunner  # noqa: E402
from ui.views.call_form import CallForm  # noqa: E402

Key = Qt.Key
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
NONE = Qt.KeyboardModifier.NoModifier
TARGET = 60
PASSWORD = "bench password for the keystroke benchmark"  # noqa: S105  # throw-away bench database

# All invented; the phone number is from Ofcom's drama range.
NAME, RANK, FORCE, COLLAR = (
    "DS Morwenna Tregarthen",
    "Detective Sergeant",
    "Devon and Cornwall Police",
    "DC 4471",
)
PHONE, EMAIL = "07700 900417", "m.tregarthen@example.org"
NARRATIVE = (
    "Officer at a hand car wash in Exeter. One man, aged about 30, lives in a cabin behind the site; "
    "the manager holds his passport and takes rent from his wages in cash. He wants to talk alone, he says ok"
)
ADVICE = "Speak to him alone with an independent interpreter; explain the NRM."
assert len(NARRATIVE) == 200, len(NARRATIVE)


@dataclass
class Count:
    """What one scenario pressed."""

    scenario: str
    other_keys: int = 0  # every key that is not a narrative or advice character
    typed_characters: int = 0  # characters typed in any field
    free_characters: int = 0  # of which narrative and advice
    keys: list[str] = field(default_factory=list)  # the non-character keys, in order

    @property
    def total(self) -> int:
        return self.other_keys + self.free_characters


class Keyboard:
    """Sends keys to whatever holds the focus, as the window system would, and counts them."""

    def __init__(self, count: Count) -> None:
        self.count = count

    @staticmethod
    def focused() -> QWidget:
        widget = QApplication.activePopupWidget() or QApplication.focusWidget()
        assert widget is not None, "nothing has the keyboard focus"
        return widget

    def type(self, text: str, *, free: bool = False) -> None:
        for char in text:
            QTest.keyClicks(self.focused(), char)
            QApplication.processEvents()
        self.count.typed_characters += len(text)
        if free:
            self.count.free_characters += len(text)
        else:
            self.count.other_keys += len(text)

    def press(self, key: Key, modifiers: Qt.KeyboardModifier = NONE, *, label: str = "") -> None:
        QTest.keyClick(self.focused(), key, modifiers)
        QApplication.processEvents()
        self.count.other_keys += 1
        self.count.keys.append(label or _label(key, modifiers))

    def tab_to(self, target: QWidget, limit: int = 300) -> None:
        for _ in range(limit):
            if QApplication.focusWidget() is target:
                return
            self.press(Key.Key_Tab)
        raise AssertionError(f"Tab never reached {target.accessibleName()!r}")


def _label(key: Key, modifiers: Qt.KeyboardModifier) -> str:
    names = {Key.Key_Tab: "Tab", Key.Key_Space: "Space", Key.Key_Return: "Enter", Key.Key_Down: "Down"}
    name = names.get(key, "F6" if key == Key.Key_F6 else "")
    if not name:
        name = chr(key.value) if 0x20 < key.value < 0x7F else str(key.value)
    prefix = ("Ctrl+" if modifiers & CTRL else "") + ("Alt+" if modifiers & ALT else "")
    if modifiers & Qt.KeyboardModifier.ShiftModifier:
        prefix += "Shift+"
    return prefix + name


def named(form: QWidget, name: str) -> QWidget:
    """The one visible widget called ``name`` (its accessible name), as a screen reader finds it."""
    found = [w for w in form.findChildren(QWidget) if w.accessibleName() == name and w.isVisibleTo(form)]
    assert len(found) == 1, f"{len(found)} widgets named {name!r}"
    return found[0]


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        QApplication.processEvents()
        time.sleep(0.005)


# --- the scenarios -------------------------------------------------------------------------------


def _victim_checklist(kb: Keyboard, form: CallForm) -> None:
    """F6 goes to the first required item not done; Space ticks it, Down moves to the next box;
    once every required item is ticked F6 goes on to the advice given."""
    pane = form.panes[Route.VICTIM]
    kb.press(Key.Key_F6)
    required = [row for row in pane.rows if row.item.required]
    for i, row in enumerate(pane.rows):
        assert QApplication.focusWidget() is row.box, row.item.text
        kb.press(Key.Key_Space)
        if row is required[-1]:
            break
        kb.press(Key.Key_Down)
        assert i < len(pane.rows) - 1
    kb.press(Key.Key_F6)
    assert QApplication.focusWidget() is named(pane, "Advice given")
    kb.type(ADVICE, free=True)


def repeat_caller(kb: Keyboard, form: CallForm, earlier: CallRecord) -> None:
    """The collar number, then Ctrl+R fills the caller from the earlier call and Ctrl+K links the case."""
    kb.press(Key.Key_L, ALT)  # Co&llar / warrant number
    assert QApplication.focusWidget() is named(form, "Collar / warrant number")
    kb.type(COLLAR)
    wait_until(lambda: len(form.earlier.summaries()) == 1)
    kb.press(Key.Key_R, CTRL)
    wait_until(lambda: form.caller.email.text() == EMAIL)
    kb.press(Key.Key_K, CTRL)
    _rest_of_the_call(kb, form)


def first_time_caller(kb: Keyboard, form: CallForm) -> None:
    """Every caller field typed; choosing the force fills the agency (Police), so it is passed by."""
    kb.type(NAME)
    kb.press(Key.Key_Tab)
    kb.type(RANK)
    kb.press(Key.Key_Tab)
    kb.press(Key.Key_Tab)  # past the agency type: the force fills it
    assert QApplication.focusWidget() is named(form, "Organisation / force")
    kb.type("devon")
    kb.press(Key.Key_Return)  # the completer's first suggestion
    kb.press(Key.Key_Tab)
    kb.type(COLLAR)
    kb.press(Key.Key_Tab)
    kb.type(PHONE)
    kb.press(Key.Key_Tab)
    kb.type(EMAIL)
    _rest_of_the_call(kb, form)


def _rest_of_the_call(kb: Keyboard, form: CallForm) -> None:
    kb.press(Key.Key_T, ALT)  # Narra&tive
    assert QApplication.focusWidget() is named(form, "Narrative")
    kb.type(NARRATIVE, free=True)  # channel (phone) and urgency (routine) keep their defaults
    kb.press(Key.Key_I, ALT)  # Adv&ice routes chosen: the focus to its first box, nothing ticked
    assert QApplication.focusWidget() is form.advice.routes.boxes[Route.TACTICAL]
    assert not form.advice.routes.values()
    kb.tab_to(form.advice.routes.boxes[Route.VICTIM])
    kb.press(Key.Key_Space)
    _victim_checklist(kb, form)
    kb.press(Key.Key_O, ALT)  # &Outcomes: the focus to "Advice given only"
    assert QApplication.focusWidget() is named(form, "Advice given only")
    kb.press(Key.Key_Space)
    kb.press(Key.Key_S, CTRL)


# --- running -------------------------------------------------------------------------------------


def _earlier_call(db: Database, actor: Actor) -> CallRecord:
    return calls.save_call(
        db,
        actor,
        CallData(
            caller=Caller(
                name=NAME,
                agency_type=AgencyType.POLICE,
                rank=RANK,
                organisation=FORCE,
                collar_number=COLLAR,
                phone="+447700900417",
                email=EMAIL,
            ),
            opened_at=datetime.now(UTC) - timedelta(days=3),
            summary="Car wash, Exeter: first call",
        ),
    )


def check_stored(record: CallRecord, *, earlier: CallRecord | None) -> None:
    """What was saved is what was typed."""
    data = record.data
    assert data.caller.name == NAME and data.caller.rank == RANK
    assert data.caller.agency_type is AgencyType.POLICE and data.caller.organisation == FORCE
    assert data.caller.collar_number == COLLAR and data.caller.phone == "+447700900417"
    assert data.caller.email == EMAIL
    assert data.narrative == NARRATIVE
    assert data.outcomes == {Outcome.ADVICE_ONLY}
    [victim] = [r for r in data.routes if r.chosen]
    assert victim.route is Route.VICTIM and victim.advice_summary == ADVICE
    ticked = {e.item_id for e in victim.checklist if e.state is ChecklistState.TICKED}
    assert ticked >= {
        "safety-now",
        "adult-confirmed",
        "independent-interpreter",
        "informed-consent",
        "nrm-or-dtn",
    }
    if earlier is not None:
        assert data.case_id == earlier.data.case_id


def run(scenario: str, db: Database, actor: Actor, runner: TaskRunner, library: GuidanceLibrary) -> Count:
    earlier = _earlier_call(db, actor) if scenario == "repeat caller" else None
    form = CallForm(db, actor, runner, db.zone, library=library)
    form.resize(1366, 768)
    form.show()
    QTest.qWaitForWindowExposed(form)
    form.activateWindow()
    form.caller.name.setFocus()
    QApplication.processEvents()
    count = Count(scenario)
    kb = Keyboard(count)
    saved: list[CallRecord] = []
    form.saved.connect(saved.append)
    try:
        if earlier is not None:
            repeat_caller(kb, form, earlier)
        else:
            first_time_caller(kb, form)
        wait_until(lambda: bool(saved))
        check_stored(calls.get_call(db, actor, saved[0].id), earlier=earlier)
    finally:
        form.discard_draft()
        form.close()
        form.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        runner.wait_until_idle()
    return count


def run_all(db: Database, actor: Actor, runner: TaskRunner) -> list[Count]:
    library = GuidanceLibrary(resource_path("guidance"))
    return [run(name, db, actor, runner, library) for name in ("repeat caller", "first-time caller")]


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as folder:
        db = create_database(f"sqlite:///{Path(folder) / 'keys.db'}")
        upgrade(db)
        admin = accounts.create_first_admin(db, "bench.admin", "Bench Admin", PASSWORD)
        actor = accounts.actor_for(admin)
        runner = TaskRunner()
        try:
            counts = run_all(db, actor, runner)
        finally:
            runner.wait_until_idle()
            db.dispose()
    head = ("scenario", "other keys", "narrative+advice chars", "all typed chars", "total")
    print(f"{head[0]:<20} {head[1]:>10} {head[2]:>23} {head[3]:>16} {head[4]:>6}")
    for c in counts:
        row = (c.other_keys, c.free_characters, c.typed_characters, c.total)
        print(f"{c.scenario:<20} {row[0]:>10} {row[1]:>23} {row[2]:>16} {row[3]:>6}")
    for c in counts:
        print(f"\n{c.scenario}: {' '.join(c.keys)}")
    repeat = counts[0]
    verdict = "met" if repeat.other_keys <= TARGET else "NOT met"
    print(
        f"\ntarget: a routine repeat-caller call in <= {TARGET} other keys: {verdict} ({repeat.other_keys})"
    )
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "keystrokes.json").write_text(
        json.dumps([asdict(c) | {"total": c.total} for c in counts], indent=2), encoding="utf-8"
    )
    del app


if __name__ == "__main__":
    main()
