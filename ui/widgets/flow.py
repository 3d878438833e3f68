"""Rows that wrap (issue 16, item 6): a bar of filters that fits a 1366-pixel screen with the
system's large fonts as well as a wide monitor with small ones.

:class:`FlowLayout` lays its items out left to right and starts a new line when the next one
would not fit; an item that may grow (its size policy says Expanding) takes the width its line
has left. Its height follows its width (``heightForWidth``), so the layouts around it give it
as many lines as it needs. (The flow layout of Qt's examples, with the expanding items.)
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QWidget

_GROWING = (
    QSizePolicy.Policy.Expanding,
    QSizePolicy.Policy.MinimumExpanding,
    QSizePolicy.Policy.Ignored,
)


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None, *, spacing: int = 8, line_spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self._line_spacing = line_spacing
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    # --- QLayout ----------------------------------------------------------------------------------

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation.Horizontal

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._lay_out(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._lay_out(rect, move=True)

    def sizeHint(self) -> QSize:
        """Everything on one line."""
        items = self._visible()
        width = sum(i.sizeHint().width() for i in items) + self._spacing * max(len(items) - 1, 0)
        height = max((i.sizeHint().height() for i in items), default=0)
        m = self.contentsMargins()
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:
        """As wide as the widest item: anything wider wraps."""
        size = QSize()
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    # --- laying out -------------------------------------------------------------------------------

    def _visible(self) -> list[QLayoutItem]:
        return [i for i in self._items if not i.isEmpty()]

    def lines(self, width: int) -> list[list[QLayoutItem]]:
        """The items of each line at ``width``."""
        m = self.contentsMargins()
        room = max(width - m.left() - m.right(), 1)
        lines: list[list[QLayoutItem]] = [[]]
        used = 0
        for item in self._visible():
            want = item.sizeHint().width()
            if lines[-1] and used + self._spacing + want > room:
                lines.append([])
                used = 0
            used += (self._spacing if lines[-1] else 0) + want
            lines[-1].append(item)
        return [line for line in lines if line]

    def _lay_out(self, rect: QRect, *, move: bool) -> int:
        m = self.contentsMargins()
        room = max(rect.width() - m.left() - m.right(), 1)
        y = rect.y() + m.top()
        for line in self.lines(rect.width()):
            widths = [min(i.sizeHint().width(), room) for i in line]
            growing = [n for n, i in enumerate(line) if i.expandingDirections() & Qt.Orientation.Horizontal]
            spare = room - sum(widths) - self._spacing * (len(line) - 1)
            if growing and spare > 0:
                share, rest = divmod(spare, len(growing))
                for k, n in enumerate(growing):
                    widths[n] += share + (1 if k < rest else 0)
            height = max(i.sizeHint().height() for i in line)
            x = rect.x() + m.left()
            if move:
                for item, w in zip(line, widths, strict=True):
                    h = item.sizeHint().height()
                    widget = item.widget()
                    if widget is not None and widget.sizePolicy().verticalPolicy() in _GROWING:
                        h = height
                    item.setGeometry(QRect(QPoint(x, y + (height - h) // 2), QSize(w, h)))
                    x += w + self._spacing
            y += height + self._line_spacing
        return y - self._line_spacing - rect.y() + m.bottom() if self._visible() else m.top() + m.bottom()
