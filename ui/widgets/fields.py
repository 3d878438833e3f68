"""A labelled field: the label (with its mnemonic and buddy), the input, and a red message
under it when the service refuses the value.

The label is above the input, so fields sit in grids of two or three columns and the message
has the field's whole width to wrap in.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget


def plain(text: str) -> str:
    """A label's text without its mnemonic marker (``&Name`` → ``Name``)."""
    return text.replace("&&", "\x00").replace("&", "").replace("\x00", "&")


def sentence(message: str) -> str:
    message = message.strip()
    return message[:1].upper() + message[1:] if message else message


class ErrorLabel(QLabel):
    """A small message in the error colour (``objectName`` ``error``), hidden while empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("error")
        self.setWordWrap(True)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 0.92)
        self.setFont(font)
        self._described: QWidget | None = None
        self._base: str | None = None  # the widget's own description while a message shows
        self.hide()

    def describe(self, widget: QWidget) -> None:
        """The message is also said with ``widget`` (its accessible description), not only shown."""
        self._described = widget

    def show_message(self, message: str) -> None:
        self.setText(sentence(message))
        self.show()
        widget = self._described
        if widget is not None:
            if self._base is None:
                self._base = widget.accessibleDescription()
            base = self._base
            widget.setAccessibleDescription(f"{base}. {self.text()}" if base else self.text())

    def clear_message(self) -> None:
        self.clear()
        self.hide()
        if self._described is not None and self._base is not None:
            self._described.setAccessibleDescription(self._base)
            self._base = None

    def message(self) -> str:
        return "" if self.isHidden() else self.text()


class FieldLabel(QLabel):
    """A label whose mnemonic only moves the focus to its buddy.

    A plain ``QLabel`` clicks a button buddy: a group's label (buddy: its first check box) would
    tick or untick that box (issue 11). A mnemonic moves the focus and never changes a value.
    """

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Shortcut:
            buddy = self.buddy()
            if buddy is not None and buddy.isEnabled() and buddy.focusPolicy() != Qt.FocusPolicy.NoFocus:
                buddy.setFocus(Qt.FocusReason.ShortcutFocusReason)
                self.window().setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)
            return True
        return super().event(event)


class FieldBlock(QWidget):
    """``text`` above ``widget`` (``text`` may carry an ``&`` mnemonic), an error under it."""

    def __init__(
        self,
        text: str,
        widget: QWidget,
        *,
        required: bool = False,
        accessible_name: str = "",
        hint: QLabel | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.widget = widget
        self.label = FieldLabel(text + (" *" if required else ""))
        self.label.setObjectName("fieldLabel")
        self.label.setBuddy(widget)
        widget.setAccessibleName(accessible_name or plain(text))
        if required:
            widget.setAccessibleDescription(self.tr("Required"))
        self.error = ErrorLabel()
        self.error.describe(widget)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(max(2, self.fontMetrics().height() // 6))
        column.addWidget(self.label)
        column.addWidget(widget)
        if hint is not None:
            column.addWidget(hint)
        column.addWidget(self.error)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def set_text(self, text: str) -> None:
        required = self.label.text().endswith(" *")
        self.label.setText(text + (" *" if required else ""))
        self.widget.setAccessibleName(plain(text))


class Section(QFrame):
    """A titled part of the form (``objectName`` ``formSection``; the heading ``sectionHeading``)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("formSection")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.heading = QLabel(title)
        self.heading.setObjectName("sectionHeading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setAccessibleName(title)
        em = self.fontMetrics().height()
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(em, int(em * 0.7), em, em)
        self.body.setSpacing(int(em * 0.6))
        self.body.addWidget(self.heading)
