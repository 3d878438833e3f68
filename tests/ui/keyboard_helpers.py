"""Driving windows as a keyboard and screen-reader user does (issue 11): keys go to whatever has
the focus, widgets are found by the name a screen reader hears, and what Tab visits, what each
stop is called, how much of it is on screen and which mnemonics a window holds are measured."""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QAccessible, QKeySequence, QTextLayout, QTextOption
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QMenuBar,
    QScrollBar,
    QTabBar,
    QWidget,
)

Key = Qt.Key
NONE = Qt.KeyboardModifier.NoModifier
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def focused() -> QWidget:
    widget = QApplication.activePopupWidget() or QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(key: Key, modifiers: Qt.KeyboardModifier = NONE) -> None:
    QTest.keyClick(focused(), key, modifiers)
    QApplication.processEvents()


def type_text(text: str) -> None:
    for char in text:
        QTest.keyClicks(focused(), char)
        QApplication.processEvents()


def spoken_name(widget: QWidget) -> str:
    """The name a screen reader says for ``widget``: its accessible name, else what Qt's
    accessibility gives it (a button's text, a buddy label's text)."""
    if widget.accessibleName():
        return widget.accessibleName()
    face = QAccessible.queryAccessibleInterface(widget)
    return face.text(QAccessible.Text.Name) if face is not None else ""


def named(root: QWidget, name: str) -> QWidget:
    """The one visible widget under ``root`` a screen reader calls ``name``."""
    found = [
        w
        for w in root.findChildren(QWidget)
        if w.isVisible() and not isinstance(w, QLabel) and spoken_name(w) == name
    ]
    assert len(found) == 1, f"{len(found)} visible widgets named {name!r}"
    return found[0]


def tab_stops(window: QWidget) -> list[QWidget]:
    """Every control of ``window`` a keyboard user should reach with Tab: visible, enabled,
    taking the focus by Tab (not the inner parts of combo and spin boxes, not scroll bars)."""
    out = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or not widget.isEnabled() or widget.window() is not window:
            continue
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus != Qt.FocusPolicy.TabFocus:
            continue
        if widget.focusProxy() is not None or isinstance(widget, QScrollBar):
            continue
        if isinstance(widget.parentWidget(), QAbstractSpinBox | QComboBox):
            continue
        out.append(widget)
    return out


def walk_tab(start: QWidget, limit: int = 400) -> tuple[list[QWidget], bool]:
    """Press Tab from ``start`` until a stop comes round again: the stops in order, and whether
    the loop closed at ``start`` (False: Tab went round a smaller loop that never comes back)."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    seen: list[QWidget] = []
    for _ in range(limit):
        widget = QApplication.focusWidget()
        assert widget is not None, f"Tab left the focus nowhere after {seen[-1:]!r}"
        if seen and widget is seen[-1]:
            press(Key.Key_Tab)  # a date edit's Tab goes from its day to its month and year first
            continue
        if widget in seen:
            return seen, widget is start
        seen.append(widget)
        press(Key.Key_Tab)
    return seen, False


def visible_fraction(widget: QWidget) -> float:
    """How much of ``widget`` its window shows: clipped by every scrolling viewport above it. A
    widget taller than a viewport counts as fully shown when it fills that viewport."""
    rect = QRect(widget.mapTo(widget.window(), QPoint(0, 0)), widget.size())
    wanted = rect.height() * rect.width()
    if wanted == 0:
        return 0.0
    shown = rect
    parent = widget.parentWidget()
    while parent is not None and not parent.isWindow():
        if isinstance(parent, QAbstractScrollArea) and parent.viewport().isAncestorOf(widget):
            viewport = parent.viewport()
            area = QRect(viewport.mapTo(widget.window(), QPoint(0, 0)), viewport.size())
            shown = shown.intersected(area)
            wanted = min(wanted, rect.width() * min(rect.height(), area.height()))
        parent = parent.parentWidget()
    return min(1.0, shown.height() * shown.width() / wanted) if wanted else 0.0


def tab_problems(window: QWidget, start: QWidget, *, stops: list[QWidget] | None = None) -> list[str]:
    """What is wrong with Tab in ``window`` from ``start``: a loop that never comes back or skips a
    control, a stop with no name, a stop mostly out of view when it has the focus."""
    problems: list[str] = []
    wanted = stops if stops is not None else tab_stops(window)
    seen: list[QWidget] = []
    start.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    for _ in range(len(wanted) * 4 + 20):
        widget = QApplication.focusWidget()
        if widget is None:
            problems.append("Tab left the focus nowhere")
            break
        if seen and widget is seen[-1]:
            press(Key.Key_Tab)  # a date edit's Tab goes from its day to its month and year first
            continue
        if widget in seen:
            if widget is not start:
                problems.append(
                    f"Tab loops back to {spoken_name(widget)!r}, never back to {spoken_name(start)!r}"
                )
            break
        seen.append(widget)
        name = spoken_name(widget).strip()
        if not name:
            problems.append(f"a {type(widget).__name__} with no name")
        fraction = visible_fraction(widget)
        if fraction < 0.5:
            problems.append(
                f"{name or type(widget).__name__!r} has the focus with {fraction:.0%} of it in view"
            )
        press(Key.Key_Tab)
    skipped = [spoken_name(w) or type(w).__name__ for w in wanted if w not in seen]
    if skipped:
        problems.append(f"Tab never reaches {skipped}; it goes {[spoken_name(w) for w in seen]}")
    return problems


def mnemonic_of(text: str) -> str:
    """The letter of ``&x`` in ``text`` (lower case), or ""."""
    key = QKeySequence.mnemonic(text)
    if key.isEmpty():
        return ""
    return key.toString().rsplit("+", 1)[-1].lower()


def mnemonics(window: QWidget) -> dict[str, list[str]]:
    """Every Alt+letter ``window`` answers just now: menu bar titles, buddy labels, buttons, group
    boxes and tab texts that are on show (a hidden tab's widgets do not answer)."""
    found: dict[str, list[str]] = defaultdict(list)

    def add(text: str, what: str) -> None:
        letter = mnemonic_of(text)
        if letter:
            found[letter].append(what)

    for widget in window.findChildren(QWidget):
        if widget.window() is not window or not widget.isVisible():
            continue
        if isinstance(widget, QMenuBar):
            for action in widget.actions():
                if action.isVisible():
                    add(action.text(), f"menu {action.text()!r}")
        elif isinstance(widget, QLabel) and widget.buddy() is not None:
            add(widget.text(), f"label {widget.text()!r}")
        elif isinstance(widget, QAbstractButton) and not isinstance(widget.parentWidget(), QTabBar):
            add(widget.text(), f"button {widget.text()!r}")
        elif isinstance(widget, QGroupBox):
            add(widget.title(), f"group {widget.title()!r}")
        elif isinstance(widget, QTabBar):
            for i in range(widget.count()):
                if widget.isTabVisible(i):
                    add(widget.tabText(i), f"tab {widget.tabText(i)!r}")
    return dict(found)


def clashes(window: QWidget) -> dict[str, list[str]]:
    return {letter: owners for letter, owners in mnemonics(window).items() if len(owners) > 1}


def wrapped_lines(label: QLabel) -> list[str]:
    """The lines ``label``'s text wraps to at its width, as Qt lays them out."""
    layout = QTextLayout(label.text(), label.font())
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    layout.setTextOption(option)
    layout.beginLayout()
    lines = []
    while (line := layout.createLine()).isValid():
        line.setLineWidth(label.contentsRect().width())
        lines.append(label.text()[line.textStart() : line.textStart() + line.textLength()])
    layout.endLayout()
    return lines
