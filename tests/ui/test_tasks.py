"""The task runner: work runs off the GUI thread, results and errors come back on it, in order."""

from __future__ import annotations

import threading
from typing import ClassVar

import pytest
import shiboken6
from PySide6.QtCore import QObject, QThread
from pytestqt.qtbot import QtBot

from supportline import logging_setup
from ui.tasks import TaskRunner


def test_work_runs_off_the_gui_thread_and_the_callback_on_it(qtbot: QtBot, tasks: TaskRunner) -> None:
    gui = QThread.currentThread()
    seen: dict[str, object] = {}

    def work() -> int:
        seen["work_thread"] = threading.current_thread()
        return 42

    def done(value: int) -> None:
        seen["value"] = value
        seen["callback_on_gui"] = QThread.currentThread() is gui

    with qtbot.waitSignal(tasks.task_done, timeout=5000):
        tasks.run(work, on_success=done)
    assert seen["work_thread"] is not threading.main_thread()
    assert seen["value"] == 42
    assert seen["callback_on_gui"] is True
    assert tasks.pending == 0


def test_an_error_goes_to_on_failure_not_on_success(qtbot: QtBot, tasks: TaskRunner) -> None:
    failures: list[BaseException] = []
    successes: list[object] = []

    def boom() -> None:
        raise ValueError("no such call")

    with qtbot.waitSignal(tasks.task_done, timeout=5000):
        tasks.run(boom, on_success=successes.append, on_failure=failures.append)
    assert successes == []
    assert len(failures) == 1
    assert isinstance(failures[0], ValueError) and str(failures[0]) == "no such call"


def test_tasks_run_one_at_a_time_in_the_order_asked(qtbot: QtBot, tasks: TaskRunner) -> None:
    running = 0
    most_at_once = 0
    order: list[int] = []
    lock = threading.Lock()

    def work(n: int) -> int:
        nonlocal running, most_at_once
        with lock:
            running += 1
            most_at_once = max(most_at_once, running)
        QThread.msleep(5)
        with lock:
            running -= 1
        return n

    with qtbot.waitSignal(tasks.idle, timeout=10_000):
        for n in range(10):
            tasks.run(lambda n=n: work(n), on_success=order.append)  # type: ignore[misc]
    assert order == list(range(10))
    assert most_at_once == 1


def test_callbacks_of_a_deleted_owner_are_skipped(qtbot: QtBot, tasks: TaskRunner) -> None:
    owner = QObject()
    called: list[object] = []
    release = threading.Event()
    tasks.run(lambda: release.wait(5), on_success=called.append, owner=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: _deleted(owner), timeout=5000)
    release.set()
    with qtbot.waitSignal(tasks.idle, timeout=5000):
        pass
    assert called == []


def _deleted(obj: QObject) -> bool:
    return not shiboken6.isValid(obj)


def test_a_failure_without_a_handler_is_logged(
    qtbot: QtBot, tasks: TaskRunner, caplog: pytest.LogCaptureFixture
) -> None:
    def boom() -> None:
        raise RuntimeError("disk full")

    # Formatted as the application's log file formats it (supportline/logging_setup.py).
    caplog.handler.setFormatter(logging_setup.WhereNotWhatFormatter(logging_setup.FORMAT))
    with qtbot.waitSignal(tasks.task_done, timeout=5000):
        tasks.run(boom)
    assert "background task failed" in caplog.text
    # What failed and where (the type and the frames), never the message: it may hold call data.
    assert "RuntimeError (message not logged)" in caplog.text
    assert "in boom" in caplog.text and "test_tasks.py" in caplog.text
    assert "disk full" not in caplog.text


def test_a_deleted_runner_refuses_new_work_quietly(qapp: object) -> None:
    runner = TaskRunner()
    ran: list[int] = []
    shiboken6.delete(runner)
    runner.run(lambda: ran.append(1))  # e.g. a widget's timer firing while the app shuts down
    assert ran == []


# --- lanes: no work waits behind another when it need not ---------------------------------------


def test_a_hung_save_holds_up_neither_reads_nor_drafts(qtbot: QtBot, tasks: TaskRunner) -> None:
    from ui.tasks import DRAFTS, SAVES

    release = threading.Event()
    done: list[str] = []
    tasks.run(lambda: release.wait(10), on_success=lambda _: done.append("save"), lane=SAVES)
    with qtbot.waitSignals([tasks.task_done, tasks.task_done], timeout=3000):
        tasks.run(lambda: "list", on_success=done.append)  # the general lane
        tasks.run(lambda: "draft", on_success=done.append, lane=DRAFTS)
    assert sorted(done) == ["draft", "list"]  # both finished while the save still waits
    assert tasks.pending == 1
    release.set()
    with qtbot.waitSignal(tasks.idle, timeout=5000):
        pass
    assert done[-1] == "save"


def test_each_lane_keeps_its_own_order(qtbot: QtBot, tasks: TaskRunner) -> None:
    from ui.tasks import SAVES

    order: dict[str, list[int]] = {"general": [], "saves": []}
    with qtbot.waitSignal(tasks.idle, timeout=10_000):
        for n in range(6):
            tasks.run(lambda n=n: (QThread.msleep(2), n)[1], on_success=order["saves"].append, lane=SAVES)  # type: ignore[misc]
            tasks.run(lambda n=n: n, on_success=order["general"].append)  # type: ignore[misc]
    assert order == {"general": list(range(6)), "saves": list(range(6))}


def test_wait_until_idle_waits_for_every_lane(qtbot: QtBot, tasks: TaskRunner) -> None:
    from ui.tasks import DRAFTS, SAVES

    done: list[str] = []
    for lane in (SAVES, DRAFTS):
        tasks.run(lambda lane=lane: (QThread.msleep(100), lane)[1], on_success=done.append, lane=lane)  # type: ignore[misc]
    assert tasks.wait_until_idle(5000)
    assert sorted(done) == [DRAFTS, SAVES]


class _TimedOwner(QObject):
    """A QObject with a running timer, like the call list model (its ``_settle`` timer): one
    destroyed on a worker thread leaves the timer registered on the GUI thread ("Timers cannot
    be stopped from another thread") and the next tick is a use after free — the segfault the
    UI tests hit about once in two runs."""

    destroyed_on: ClassVar[list[str]] = []

    def __init__(self) -> None:
        super().__init__()
        from PySide6.QtCore import QTimer

        self.timer = QTimer(self)
        self.timer.start(60_000)

    def page(self) -> int:
        return 1

    def loaded(self, value: int) -> None:
        self.value = value

    def __del__(self) -> None:
        _TimedOwner.destroyed_on.append(threading.current_thread().name)


def test_the_last_reference_to_a_task_s_callbacks_is_dropped_on_the_gui_thread(
    qtbot: QtBot, tasks: TaskRunner
) -> None:
    """The worker gives up every reference to the work, its callbacks and its result before the
    GUI thread can run them; so an owner the caller has let go of is destroyed on the GUI thread
    (where its timers live), never on a worker thread."""
    import gc
    import sys

    _TimedOwner.destroyed_on.clear()
    gc.collect()
    gc.disable()  # only reference counting decides where each owner dies
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over as often as possible: the race shows quickly
    try:
        for _ in range(300):
            owner = _TimedOwner()
            tasks.run(owner.page, on_success=owner.loaded)
            del owner
        assert tasks.wait_until_idle()
        qtbot.waitUntil(lambda: tasks.pending == 0, timeout=10_000)
        qtbot.wait(100)
    finally:
        sys.setswitchinterval(switch)
        gc.enable()
    assert len(_TimedOwner.destroyed_on) == 300
    assert set(_TimedOwner.destroyed_on) == {threading.main_thread().name}
