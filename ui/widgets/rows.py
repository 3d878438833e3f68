"""A list of editable entries (potential victims, referrals) with Add and Remove buttons.

Removing an entry moves the focus to the next one (or the Add button), so a keyboard user never
lands nowhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.widgets.fields import ErrorLabel, FieldBlock


class AddButton(QPushButton):
    """An "Add …" button whose mnemonic moves the focus to it and adds nothing: Space or Enter
    adds (a mnemonic never changes the call, issue 11)."""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Shortcut:
            if self.isEnabled():
                self.setFocus(Qt.FocusReason.ShortcutFocusReason)
                self.window().setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)
            return True
        return super().event(event)


class Row(QFrame):
    """One entry: subclasses add inputs, fill ``blocks`` (field key → labelled input) and say which
    inputs take the focus, in order."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("formRow")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.remove_button = QPushButton()
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        self.number = 0
        self.error = ErrorLabel()  # for the entry as a whole
        self.blocks: dict[str, FieldBlock] = {}

    def set_number(self, number: int) -> None:
        self.number = number

    def focus_widgets(self) -> list[QWidget]:
        raise NotImplementedError

    def first_input(self) -> QWidget:
        return self.focus_widgets()[0]

    def show_error(self, key: str, message: str) -> QWidget:
        """Show ``message`` for ``key`` (a field, or "" for the entry as a whole); the widget to focus."""
        block = self.blocks.get(key)
        if block is None:
            self.error.show_message(message)
            return self.first_input()
        block.error.show_message(message)
        return block.widget

    def clear_errors(self) -> None:
        self.error.clear_message()
        for block in self.blocks.values():
            block.error.clear_message()


R = TypeVar("R", bound=Row)


class RowList(QWidget, Generic[R]):
    changed = Signal()
    #: Rows were added or removed: the tab order needs fixing.
    rows_changed = Signal()

    def __init__(
        self,
        make_row: Callable[[], R],
        *,
        add_text: str,
        empty_text: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._make_row = make_row
        self.rows: list[R] = []
        self.empty = QLabel(empty_text)
        self.empty.setObjectName("muted")
        self.add_button = AddButton(add_text)
        self.add_button.setAccessibleName(add_text.replace("&", ""))
        self.add_button.clicked.connect(self._add_clicked)
        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(max(4, self.fontMetrics().height() // 2))
        self._column.addWidget(self.empty)
        bar = QHBoxLayout()
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        self._column.addLayout(bar)

    def add_row(self) -> R:
        row = self._make_row()
        row.changed.connect(self.changed)
        row.remove_requested.connect(self._remove)
        self._column.insertWidget(len(self.rows) + 1, row)
        if self.isVisible():
            row.show()  # now, not on the next turn of the event loop: it takes the focus at once
        self.rows.append(row)
        self._renumber()
        self.rows_changed.emit()
        return row

    def clear_rows(self) -> None:
        for row in self.rows:
            row.hide()
            row.deleteLater()
        self.rows = []
        self._renumber()
        self.rows_changed.emit()

    def focus_widgets(self) -> list[QWidget]:
        out: list[QWidget] = []
        for row in self.rows:
            out.extend(row.focus_widgets())
        out.append(self.add_button)
        return out

    def _add_clicked(self) -> None:
        row = self.add_row()
        self.changed.emit()
        row.first_input().setFocus()

    def _remove(self, row: object) -> None:
        if row not in self.rows:
            return
        index = self.rows.index(row)
        removed = self.rows.pop(index)
        removed.hide()
        removed.deleteLater()
        self._renumber()
        self.rows_changed.emit()
        self.changed.emit()
        target = self.rows[index].first_input() if index < len(self.rows) else self.add_button
        target.setFocus()

    def _renumber(self) -> None:
        for i, row in enumerate(self.rows):
            row.set_number(i + 1)
        self.empty.setVisible(not self.rows)
