"""Picking from an enumeration: a combo box of its labels, and a grid of check boxes that
toggle with Enter as well as Space."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Generic, TypeVar

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QWidget

E = TypeVar("E", bound=StrEnum)

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class ToggleCheckBox(QCheckBox):
    """Enter toggles too: people who fill a form by keyboard press Enter as often as Space.

    Its mnemonic (Alt+letter) moves the focus to it and never ticks it: the person looks, then
    presses Space (issue 11: a mnemonic must never change a value).
    """

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Shortcut:
            if self.isEnabled():
                self.setFocus(Qt.FocusReason.ShortcutFocusReason)
                self.window().setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier == Qt.KeyboardModifier.NoModifier
        if event.key() in _ENTER and plain:
            self.toggle()
            event.accept()
            return
        super().keyPressEvent(event)


class EnumChecks(QWidget, Generic[E]):
    """One check box per member of an enumeration, laid out in columns (filled row by row).

    Every box is its own tab stop, in reading order; ``values()`` is the set ticked.
    """

    changed = Signal()

    def __init__(
        self,
        members: Sequence[E],
        *,
        columns: int = 2,
        group_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.boxes: dict[E, ToggleCheckBox] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(self.fontMetrics().horizontalAdvance("M") * 2)
        grid.setVerticalSpacing(max(2, self.fontMetrics().height() // 4))
        for i, member in enumerate(members):
            box = ToggleCheckBox(getattr(member, "label", str(member)))
            box.setAccessibleName(box.text())
            if group_name:
                box.setAccessibleDescription(group_name)
            box.toggled.connect(self.changed)
            grid.addWidget(box, i // columns, i % columns)
            self.boxes[member] = box
        for column in range(columns):
            grid.setColumnStretch(column, 1)
        self.setAccessibleName(group_name)

    def first(self) -> QWidget:
        return next(iter(self.boxes.values()))

    def widgets(self) -> list[QWidget]:
        return list(self.boxes.values())

    def values(self) -> frozenset[E]:
        return frozenset(m for m, box in self.boxes.items() if box.isChecked())

    def set_values(self, values: Iterable[E]) -> None:
        chosen = set(values)
        for member, box in self.boxes.items():
            box.setChecked(member in chosen)


class EnumCombo(QComboBox, Generic[E]):
    """The labels of an enumeration's members; ``none_text`` adds a first "not recorded" entry."""

    def __init__(self, members: Sequence[E], *, none_text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._members: list[E | None] = []
        if none_text:
            self.addItem(none_text)
            self._members.append(None)
        for member in members:
            self.addItem(getattr(member, "label", str(member)))
            self._members.append(member)

    def value(self) -> E | None:
        index = self.currentIndex()
        return self._members[index] if 0 <= index < len(self._members) else None

    def set_value(self, value: E | None) -> None:
        if value in self._members:
            self.setCurrentIndex(self._members.index(value))
