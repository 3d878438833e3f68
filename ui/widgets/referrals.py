"""Referrals made or advised on a call: to whom, which organisation, their reference."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QGridLayout, QLineEdit, QWidget

from supportline.enums import ReferralTarget
from supportline.reference_data import OTHER_ORGANISATIONS, POLICE_FORCES
from supportline.services.call_types import ReferralData
from ui.widgets.choices import EnumCombo
from ui.widgets.completing import CompletingLineEdit
from ui.widgets.fields import FieldBlock
from ui.widgets.rows import Row, RowList


class ReferralRow(Row):
    FIELDS = ("target", "organisation", "reference")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._original = ReferralData(target=ReferralTarget.NRM)
        self.target: EnumCombo[ReferralTarget] = EnumCombo(list(ReferralTarget))
        self.organisation = CompletingLineEdit(POLICE_FORCES + OTHER_ORGANISATIONS)
        self.reference = QLineEdit()
        self.blocks = {
            "target": FieldBlock(self.tr("Referred to"), self.target),
            "organisation": FieldBlock(self.tr("Organisation"), self.organisation),
            "reference": FieldBlock(self.tr("Their reference"), self.reference),
        }
        grid = QGridLayout(self)
        em = self.fontMetrics().height()
        grid.setContentsMargins(int(em * 0.8), int(em * 0.5), int(em * 0.8), int(em * 0.5))
        grid.setHorizontalSpacing(em)
        grid.addWidget(self.error, 0, 0, 1, 4)
        grid.addWidget(self.blocks["target"], 1, 0)
        grid.addWidget(self.blocks["organisation"], 1, 1)
        grid.addWidget(self.blocks["reference"], 1, 2)
        grid.addWidget(self.remove_button, 1, 3, Qt.AlignmentFlag.AlignBottom)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 2)
        self.target.currentIndexChanged.connect(self.changed)
        self.organisation.textChanged.connect(self.changed)
        self.reference.textChanged.connect(self.changed)

    def set_number(self, number: int) -> None:
        super().set_number(number)
        prefix = self.tr("Referral %d") % number
        for block in self.blocks.values():
            block.widget.setAccessibleName(f"{prefix}: {block.label.text()}")
        self.remove_button.setText(self.tr("Remove"))
        self.remove_button.setAccessibleName(self.tr("Remove referral %d") % number)
        self.setAccessibleName(prefix)

    def focus_widgets(self) -> list[QWidget]:
        return [self.target, self.organisation, self.reference, self.remove_button]

    def referral(self) -> ReferralData:
        return dataclasses.replace(
            self._original,
            target=self.target.value() or ReferralTarget.OTHER,
            organisation=self.organisation.text(),
            reference=self.reference.text(),
        )

    def set_referral(self, referral: ReferralData) -> None:
        self._original = referral
        self.target.set_value(referral.target)
        self.organisation.setText(referral.organisation)
        self.reference.setText(referral.reference)


class ReferralList(RowList[ReferralRow]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            ReferralRow,
            add_text=QCoreApplication.translate("ReferralList", "Add a referral"),
            empty_text=QCoreApplication.translate("ReferralList", "No referrals recorded."),
            parent=parent,
        )

    def referrals(self) -> tuple[ReferralData, ...]:
        return tuple(row.referral() for row in self.rows)

    def set_referrals(self, referrals: tuple[ReferralData, ...]) -> None:
        self.clear_rows()
        for referral in referrals:
            self.add_row().set_referral(referral)
