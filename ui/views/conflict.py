"""The conflict view: their save and yours side by side, field by field.

Opened by the call form when a save is refused because the call was saved elsewhere meanwhile
(``ConflictError`` with their record). Each differing field shows their value and yours with a
choice between them (preset: theirs where only they changed it, yours otherwise; a field both
changed is marked). "Keep theirs", "Keep mine" or "Merge" (the choices as set) puts the result in
the form, at their version, for the operator to check and save again. Cancel changes nothing:
what was typed stays in the form (and its draft). The comparison itself is ``supportline.sync.merge``.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from supportline.services.call_types import CallData, CallRecord
from supportline.sync import merge
from supportline.sync.merge import FieldDiff, Side


class ConflictDialog(QDialog):
    """Choose, field by field, between their save and yours; :attr:`result_data` is the call to
    put back in the form (``None`` until accepted)."""

    def __init__(
        self,
        base: CallData,
        theirs: CallRecord,
        yours: CallData,
        zone: ZoneInfo,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.theirs = theirs
        self._yours = merge.normalised(yours)
        self.result_data: CallData | None = None
        self.diffs: list[FieldDiff] = merge.differences(base, theirs.data, yours)
        self._groups: dict[str, QButtonGroup] = {}
        self._radios: dict[tuple[str, Side], QRadioButton] = {}
        self._values: dict[tuple[str, Side], QLabel] = {}
        self.setWindowTitle(self.tr("%s was changed at another workstation") % theirs.reference)
        self.setModal(True)
        self.resize(900, 560)

        intro = QLabel(
            self.tr(
                "Someone saved %(ref)s (now version %(version)d) while you were editing it. "
                "Nothing you typed is lost. For each difference choose their value or yours, "
                "then keep theirs, keep yours or merge, check the form and save again."
            )
            % {"ref": theirs.reference, "version": theirs.version}
        )
        intro.setWordWrap(True)

        grid = QGridLayout()
        for column, heading in enumerate((self.tr("Field"), self.tr("Their save"), self.tr("Yours"))):
            label = QLabel(f"<b>{heading}</b>")
            grid.addWidget(label, 0, column)
        for row, diff in enumerate(self.diffs, start=1):
            name = diff.label + (self.tr("  (changed by both)") if diff.both_changed else "")
            field_label = QLabel(name)
            field_label.setWordWrap(True)
            grid.addWidget(field_label, row, 0, Qt.AlignmentFlag.AlignTop)
            group = QButtonGroup(self)
            for column, side in ((1, "theirs"), (2, "yours")):
                value = diff.theirs if side == "theirs" else diff.yours
                whose = self.tr("their value") if side == "theirs" else self.tr("your value")
                radio = QRadioButton(self.tr("Theirs") if side == "theirs" else self.tr("Mine"))
                radio.setAccessibleName(f"{diff.label}: {whose}")
                radio.setObjectName(f"{diff.key}:{side}")
                text = QLabel(merge.describe(value, zone))
                text.setWordWrap(True)
                text.setTextFormat(Qt.TextFormat.PlainText)
                cell = QWidget()
                row_layout = QHBoxLayout(cell)
                row_layout.setContentsMargins(0, 0, 0, 0)
                row_layout.addWidget(radio, 0, Qt.AlignmentFlag.AlignTop)
                row_layout.addWidget(text, 1)
                group.addButton(radio)
                grid.addWidget(cell, row, column, Qt.AlignmentFlag.AlignTop)
                self._radios[(diff.key, side)] = radio  # type: ignore[index]
                self._values[(diff.key, side)] = text  # type: ignore[index]
            self._groups[diff.key] = group
            self.choose(diff.key, diff.default)
        if not self.diffs:
            grid.addWidget(QLabel(self.tr("Their save and yours are the same.")), 1, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        grid.setRowStretch(len(self.diffs) + 1, 1)  # rows keep their height; the space goes below
        grid.setVerticalSpacing(10)
        body = QWidget()
        body.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        self.keep_theirs_button = QPushButton(self.tr("Keep theirs"))
        self.keep_yours_button = QPushButton(self.tr("Keep mine"))
        self.merge_button = QPushButton(self.tr("Merge as chosen"))
        self.merge_button.setDefault(True)
        buttons = QDialogButtonBox()
        for button in (self.keep_theirs_button, self.keep_yours_button, self.merge_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.keep_theirs_button.clicked.connect(self.keep_theirs)
        self.keep_yours_button.clicked.connect(self.keep_yours)
        self.merge_button.clicked.connect(self.merge_chosen)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)

    # --- choosing ---------------------------------------------------------------------------------

    def choose(self, key: str, side: Side) -> None:
        self._radios[(key, side)].setChecked(True)

    def choice(self, key: str) -> Side:
        return "theirs" if self._radios[(key, "theirs")].isChecked() else "yours"

    def radio(self, key: str, side: Side) -> QRadioButton:
        return self._radios[(key, side)]

    def value_text(self, key: str, side: Side) -> str:
        """The value shown for ``key`` on ``side``."""
        return self._values[(key, side)].text()

    def choices(self) -> dict[str, Side]:
        return {d.key: self.choice(d.key) for d in self.diffs}

    # --- finishing --------------------------------------------------------------------------------

    def keep_theirs(self) -> None:
        self._finish({d.key: "theirs" for d in self.diffs})

    def keep_yours(self) -> None:
        self._finish({d.key: "yours" for d in self.diffs})

    def merge_chosen(self) -> None:
        self._finish(self.choices())

    def _finish(self, choices: dict[str, Side]) -> None:
        self.result_data = merge.merge(self.theirs.data, self._yours, choices)
        self.accept()
