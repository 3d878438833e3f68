"""After a crash or a power cut: the forms that were not saved, offered back.

Each open form writes a draft to the database within seconds of a change; on the next start this
dialog lists the signed-in person's drafts (title and when last written) and asks what to do.
"Later" keeps them for the next start; "Discard" deletes them only after a second yes, since a
discarded draft is a lost call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from supportline.services import call_codec
from supportline.services.drafts import DraftRecord
from supportline.services.errors import ServiceError
from ui import formatting as fmt


class DraftChoice(StrEnum):
    RESTORE = "restore"
    DISCARD = "discard"
    LATER = "later"


def describe(draft: DraftRecord) -> str:
    """Who was calling, if the draft says (titles alone can repeat: "New call 03:41")."""
    form = draft.payload.get("call") if isinstance(draft.payload, Mapping) else None
    if not isinstance(form, Mapping):
        return ""
    try:
        data = call_codec.from_jsonable(form)
    except (ServiceError, ValueError, TypeError, KeyError):
        return ""
    return " · ".join(x for x in (data.caller.name.strip(), " ".join(data.summary.split())[:60]) if x)


def confirm_discard(parent: QWidget, count: int) -> bool:
    """The second yes before drafts are deleted (tests replace it)."""
    answer = QMessageBox.question(
        parent,
        parent.tr("Discard drafts"),
        parent.tr("Delete %n unsaved call(s)? This cannot be undone.", "", count),
        QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Discard


class DraftsDialog(QDialog):
    """``choice`` and ``chosen`` say what the person decided once the dialog is done."""

    #: F1 opens this help page (``resources/help/call-list.md``; ``views/help_window``).
    help_topic = "call-list"

    def __init__(
        self,
        drafts: Sequence[DraftRecord],
        zone: ZoneInfo,
        *,
        confirm: Callable[[QWidget, int], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._drafts = tuple(drafts)
        self._confirm = confirm or confirm_discard
        self.choice = DraftChoice.LATER
        self.chosen: tuple[DraftRecord, ...] = ()
        self.setWindowTitle(self.tr("Unsaved calls – Supportline"))
        self.setMinimumWidth(560)

        heading = QLabel(self.tr("Unsaved calls were found"))
        heading.setObjectName("heading")
        intro = QLabel(
            self.tr(
                "Supportline was closed before these calls were saved. Restore them to carry on "
                "where you left off; each opens in its own tab."
            )
        )
        intro.setObjectName("subheading")
        intro.setWordWrap(True)

        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Unsaved calls"))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        for draft in self._drafts:
            title = draft.title or self.tr("Untitled call")
            kind = self.tr("changes to a saved call") if draft.is_edit else self.tr("new call")
            saved = fmt.when(draft.updated_at, zone)
            who = describe(draft)
            text = self.tr("%s  ·  %s, last saved %s") % (title, kind, saved)
            item = QListWidgetItem(f"{text}\n{who}" if who else text)
            item.setData(Qt.ItemDataRole.UserRole, draft.id)
            item.setToolTip(fmt.when_with_zone(draft.updated_at, zone))
            self.list.addItem(item)
        self.list.selectAll()
        self.list.setSpacing(3)
        rows = min(max(len(self._drafts), 2), 6)  # more than six scroll
        self.list.setFixedHeight(rows * (2 * self.fontMetrics().height() + 14) + 8)

        self.restore_all_button = QPushButton(self.tr("Restore &all"))
        self.restore_selected_button = QPushButton(self.tr("&Restore selected"))
        self.discard_button = QPushButton(self.tr("&Discard selected…"))
        self.later_button = QPushButton(self.tr("&Later"))
        self.restore_all_button.setDefault(True)
        self.restore_all_button.setObjectName("primary")
        # The destructive choice stands apart, on the left; the safe ones together on the right.
        buttons = QHBoxLayout()
        buttons.addWidget(self.discard_button)
        buttons.addStretch(1)
        for button in (self.later_button, self.restore_selected_button, self.restore_all_button):
            buttons.addWidget(button)
        self.restore_all_button.clicked.connect(self.restore_all)
        self.restore_selected_button.clicked.connect(self.restore_selected)
        self.discard_button.clicked.connect(self.discard_selected)
        self.later_button.clicked.connect(self.reject)
        self.list.itemSelectionChanged.connect(self._selection_changed)
        self.list.itemActivated.connect(lambda _item: self.restore_selected())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addSpacing(4)
        layout.addLayout(buttons)
        self.restore_all_button.setFocus()

    @classmethod
    def ask(
        cls, drafts: Sequence[DraftRecord], zone: ZoneInfo, parent: QWidget | None = None
    ) -> tuple[DraftChoice, tuple[DraftRecord, ...]]:
        dialog = cls(drafts, zone, parent=parent)
        dialog.exec()
        return dialog.choice, dialog.chosen

    def selected(self) -> tuple[DraftRecord, ...]:
        rows = sorted(self.list.row(item) for item in self.list.selectedItems())
        return tuple(self._drafts[row] for row in rows)

    def restore_all(self) -> None:
        self._finish(DraftChoice.RESTORE, self._drafts)

    def restore_selected(self) -> None:
        if self.selected():
            self._finish(DraftChoice.RESTORE, self.selected())

    def discard_selected(self) -> None:
        chosen = self.selected()
        if chosen and self._confirm(self, len(chosen)):
            self._finish(DraftChoice.DISCARD, chosen)

    def reject(self) -> None:
        self.choice, self.chosen = DraftChoice.LATER, ()
        super().reject()

    def _finish(self, choice: DraftChoice, drafts: tuple[DraftRecord, ...]) -> None:
        self.choice, self.chosen = choice, drafts
        self.accept()

    def _selection_changed(self) -> None:
        some = bool(self.list.selectedItems())
        self.restore_selected_button.setEnabled(some)
        self.discard_button.setEnabled(some)
