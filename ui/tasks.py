"""The one way the GUI runs work off its own thread (after Anki's ``aqt.taskman``).

Work runs in *lanes*: each lane is one worker thread, so the work of one lane runs one at a time
in the order it was asked for; different lanes run side by side, so no work waits behind
another when it need not (a save hung on a silent network must not hold up the call list, the
draft autosave or an unlock). :data:`SAVES` carries call saves, :data:`DRAFTS` the draft
autosave and discards, :data:`BACKUPS` the daily copy of the local database (a large file must
not hold up the call list), :data:`AUDIT` the call list's record of a settled search (a committed
audit row: a page of the list never waits behind it), :data:`GENERAL` (the default) everything
else; the Due panel and its dialogs use a lane of their own (``ui.views.due_panel.LANE``), so a
listing on the timer never holds up the call list. Results come back to the GUI thread, where
the callbacks run, so callbacks may touch widgets freely. Nothing else in ``ui`` starts threads.
(SQLite writes of different lanes queue on the database's own write lock.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")


#: Lanes (see the module's docstring).
GENERAL = "general"
SAVES = "saves"
DRAFTS = "drafts"
BACKUPS = "backups"
AUDIT = "audit"


class _Task:
    """One piece of work and what to do with its outcome. It travels from the worker to the GUI
    thread whole: the worker keeps no reference to it once handed over (see :class:`_Job`)."""

    __slots__ = ("error", "failed", "fn", "on_failure", "on_success", "owner", "result")

    def __init__(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None] | None,
        on_failure: Callable[[BaseException], None] | None,
        owner: QObject | None,
    ) -> None:
        self.fn: Callable[[], Any] | None = fn
        self.on_success = on_success
        self.on_failure = on_failure
        self.owner = owner
        self.result: Any = None
        self.error: BaseException | None = None
        self.failed = False


class _Job(QRunnable):
    """Runs a task on a lane's thread and hands it to the GUI thread.

    The worker must drop its last reference to the task (its function, callbacks, owner and
    result) *before* the GUI thread may run and drop the callbacks: otherwise an object the GUI
    has let go of meanwhile (a call list model whose test or tab has ended) is destroyed here, on
    the worker thread, and its timers stay registered on the GUI thread's event dispatcher — the
    next tick is a use after free (``QObject::~QObject: Timers cannot be stopped from another
    thread``, then a segfault). So the task is taken out of the job first, run, queued under the
    runner's lock, deleted from this frame, and only then is the GUI thread woken."""

    def __init__(self, runner: TaskRunner, task: _Task) -> None:
        super().__init__()
        self._runner = runner
        self._task: _Task | None = task

    def run(self) -> None:
        task, self._task = self._task, None
        assert task is not None and task.fn is not None
        try:
            task.result = task.fn()
        except BaseException as exc:
            task.error, task.failed = exc, True
            # The traceback holds this frame; this frame must not hold the task (a cycle the
            # collector could break on any thread).
            del exc
        task.fn = None  # a lambda or bound method of a widget goes with its callbacks
        runner = self._runner
        with runner._lock:
            runner._queued.append(task)
        del task
        runner._wake()


class TaskRunner(QObject):
    """Runs callables on background threads, one per lane, and delivers their outcome on the GUI
    thread."""

    #: Emitted on the GUI thread after a task's callback has run (tests wait on it).
    task_done = Signal()
    #: Emitted when the last pending task has finished and its callback has run.
    idle = Signal()
    #: A task failed with ``DatabaseUnavailableError`` (the error): the outage's retry listens.
    database_unavailable = Signal(object)

    _closures_pending = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools: dict[str, QThreadPool] = {}
        self._lock = threading.Lock()
        self._queued: list[_Task] = []
        self._pending = 0
        # A queued connection: the worker emits, the GUI thread's event loop runs the closures.
        self._closures_pending.connect(self._run_closures)

    @property
    def pending(self) -> int:
        """Tasks asked for whose callbacks have not run yet."""
        return self._pending

    def run(
        self,
        fn: Callable[[], T],
        *,
        on_success: Callable[[T], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        owner: QObject | None = None,
        lane: str = GENERAL,
    ) -> None:
        """Run ``fn()`` on the worker thread of ``lane``; then ``on_success(result)`` or ``on_failure(error)``
        on the GUI thread. If ``owner`` has been deleted by then, the callbacks are skipped (a
        dialog closed while its work was running must not be touched). Once the runner itself is
        deleted (the application is ending) new work is refused quietly."""
        if not shiboken6.isValid(self):
            log.debug("task runner already deleted; task not started")
            return
        self._pending += 1
        self._lane(lane).start(_Job(self, _Task(fn, on_success, on_failure, owner)))

    def _lane(self, lane: str) -> QThreadPool:
        pool = self._pools.get(lane)
        if pool is None:
            pool = QThreadPool(self)
            pool.setMaxThreadCount(1)  # one at a time, in order, within a lane
            pool.setObjectName(f"tasks-{lane}")
            self._pools[lane] = pool
        return pool

    def wait_until_idle(self, timeout_ms: int = 30_000) -> bool:
        """Block until every lane is done and deliver what they left (shutdown, self-test)."""
        deadline = time.monotonic() + timeout_ms / 1000
        done = True
        for pool in list(self._pools.values()):
            left = max(0, int((deadline - time.monotonic()) * 1000))
            done = pool.waitForDone(left) and done
        self._run_closures()
        return done

    def _wake(self) -> None:
        """On a worker: ask the GUI thread to run what has been queued."""
        if shiboken6.isValid(self):  # deleted while the work ran: nobody is left to call back
            self._closures_pending.emit()

    @Slot()
    def _run_closures(self) -> None:
        with self._lock:
            queued, self._queued = self._queued, []
        while queued:
            task = queued.pop(0)
            try:
                if task.failed:
                    error, task.error = task.error, None
                    self._finish(task.owner, task.on_failure, error, failed=True)
                else:
                    result, task.result = task.result, None
                    self._finish(task.owner, task.on_success, result, failed=False)
            except BaseException:
                # A callback that raised must not lose the callbacks queued behind it.
                if queued:
                    with self._lock:
                        self._queued[:0] = queued
                    self._closures_pending.emit()
                raise
            finally:
                del task

    def _finish(
        self, owner: QObject | None, callback: Callable[[Any], None] | None, value: Any, *, failed: bool
    ) -> None:
        self._pending -= 1
        try:
            if owner is not None and not shiboken6.isValid(owner):
                return
            if callback is not None:
                callback(value)
            elif failed:
                log.error("background task failed", exc_info=value)
        finally:
            if failed:
                from supportline.db.engine import DatabaseUnavailableError  # loaded by then

                if isinstance(value, DatabaseUnavailableError):
                    self.database_unavailable.emit(value)
            self.task_done.emit()
            if self._pending == 0:
                self.idle.emit()


_default: TaskRunner | None = None


def default_runner() -> TaskRunner:
    """The application's runner, created on first use and owned by the application object."""
    global _default
    if _default is None or not shiboken6.isValid(_default):
        _default = TaskRunner(QCoreApplication.instance())
    return _default
