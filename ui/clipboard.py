"""Clipboard hygiene: personal data copied from the app does not outlive the session.

:class:`ClipboardGuard` remembers what the app put on the clipboard — through :meth:`copy`
(wherever the app copies on purpose, e.g. a call's details) and through Ctrl+C / Cut in one of
its own widgets (a change of the clipboard while one of our windows has the focus) — and
:meth:`clear_ours` empties the clipboard on lock, sign-out and quit, but only while it still
holds exactly that: what a person copied in another program since is theirs, and stays.

One guard per application: :func:`guard`. The main window calls :func:`clear_ours` when it
locks and closes (also on sign-out, which closes it), and the guard itself on
``QApplication.aboutToQuit``.

A copy in one of the app's widgets is announced with :attr:`ClipboardGuard.copied` (the widget
that had the focus), so that the main window can audit a copy of a call as a disclosure
(:mod:`ui.copy_audit`). Only the clipboard proper counts: the X11 selection changes whenever text
is selected, which is no copy.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QClipboard, QGuiApplication
from PySide6.QtWidgets import QApplication


class ClipboardGuard(QObject):
    #: Ctrl+C, Cut or a context menu's Copy in one of the app's widgets (the widget focused);
    #: not emitted for :meth:`copy`, whose caller knows what it copied.
    copied = Signal(object)

    def __init__(self, clipboard: QClipboard, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clipboard = clipboard
        self._ours: dict[QClipboard.Mode, str] = {}
        self._setting = False
        clipboard.changed.connect(self._changed)

    def copy(self, text: str) -> None:
        """Put ``text`` on the clipboard as the app's own (cleared on lock, sign-out and quit)."""
        self._setting = True
        try:
            self._clipboard.setText(text, QClipboard.Mode.Clipboard)
        finally:
            self._setting = False
        self._ours[QClipboard.Mode.Clipboard] = self._clipboard.text(QClipboard.Mode.Clipboard)

    def _changed(self, mode: QClipboard.Mode) -> None:
        if self._setting:
            return
        # A copy in one of our widgets happens while one of our windows has the keyboard focus;
        # a copy in another program happens while none has.
        focused = QApplication.focusWidget()
        if QApplication.activeWindow() is not None and focused is not None:
            text = self._clipboard.text(mode)
            if text:
                self._ours[mode] = text
                if mode == QClipboard.Mode.Clipboard:
                    self.copied.emit(focused)
                return
        self._ours.pop(mode, None)

    def holds_ours(self) -> bool:
        return any(self._clipboard.text(mode) == text for mode, text in self._ours.items())

    def clear_ours(self) -> bool:
        """Empty the clipboard if it still holds what the app put there; True if it did."""
        cleared = False
        for mode, text in list(self._ours.items()):
            if self._clipboard.text(mode) == text:
                self._setting = True
                try:
                    self._clipboard.clear(mode)
                finally:
                    self._setting = False
                cleared = True
        self._ours.clear()
        return cleared


_GUARD: ClipboardGuard | None = None


def guard() -> ClipboardGuard:
    """The application's guard (made on first use; cleared on quit)."""
    global _GUARD
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("no QApplication: the clipboard needs one")
    if _GUARD is None or _GUARD.parent() is not app:
        _GUARD = ClipboardGuard(QGuiApplication.clipboard(), parent=app)
        app.aboutToQuit.connect(_GUARD.clear_ours)
    return _GUARD


def copy(text: str) -> None:
    """Copy ``text`` (personal data, usually) to the clipboard: use this wherever the app copies."""
    guard().copy(text)


def clear_ours() -> bool:
    """Clear what the app put on the clipboard, if it is still there (lock, sign-out, quit)."""
    return guard().clear_ours() if QApplication.instance() is not None else False
