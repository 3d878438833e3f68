"""The potential victims recorded on a call, one box each."""

from __future__ import annotations

import dataclasses
from functools import cache

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QWidget

from supportline.enums import AgeGroup, Sex
from supportline.services.call_types import PersonData
from ui.widgets.choices import EnumCombo, ToggleCheckBox
from ui.widgets.completing import CodeListEdit, country_aliases, country_names, language_names
from ui.widgets.fields import FieldBlock
from ui.widgets.rows import Row, RowList


@cache
def _countries() -> dict[str, str]:
    return country_names()


@cache
def _country_aliases() -> tuple[tuple[str, str], ...]:
    return tuple(country_aliases())


@cache
def _languages() -> dict[str, str]:
    return language_names()


class PersonEditor(Row):
    """Age group, sex, nationalities, languages: what the figures count and advice turns on."""

    #: The keys field errors arrive under (``persons[i].<key>``), in focus order.
    FIELDS = ("age_group", "sex", "name", "nationalities", "languages")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._original = PersonData()
        self.age_group: EnumCombo[AgeGroup] = EnumCombo(list(AgeGroup))
        self.sex: EnumCombo[Sex] = EnumCombo(list(Sex))
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("Optional, e.g. \u201cthe younger brother\u201d"))
        self.age_disputed = ToggleCheckBox(self.tr("Age disputed (treated as a child)"))
        self.nationalities = CodeListEdit(_countries(), aliases=_country_aliases())
        self.nationalities.setPlaceholderText(self.tr("Type a country, e.g. Vietnam"))
        self.languages = CodeListEdit(_languages(), normalise=str.lower)
        self.languages.setPlaceholderText(self.tr("Type a language, e.g. Vietnamese"))
        self.interpreter = ToggleCheckBox(self.tr("Interpreter needed"))

        self.blocks = {
            "age_group": FieldBlock(self.tr("Age group"), self.age_group),
            "sex": FieldBlock(self.tr("Sex"), self.sex),
            "name": FieldBlock(self.tr("Name or description"), self.name),
            "nationalities": FieldBlock(self.tr("Nationalities"), self.nationalities),
            "languages": FieldBlock(self.tr("Languages"), self.languages),
        }
        grid = QGridLayout(self)
        em = self.fontMetrics().height()
        grid.setContentsMargins(int(em * 0.8), int(em * 0.6), int(em * 0.8), int(em * 0.6))
        grid.setHorizontalSpacing(em)
        grid.setVerticalSpacing(int(em * 0.4))
        grid.addWidget(self.error, 0, 0, 1, 3)
        grid.addWidget(self.blocks["age_group"], 1, 0)
        grid.addWidget(self.blocks["sex"], 1, 1)
        grid.addWidget(self.blocks["name"], 1, 2)
        grid.addWidget(self.age_disputed, 2, 0, 1, 3)
        grid.addWidget(self.blocks["nationalities"], 3, 0)
        grid.addWidget(self.blocks["languages"], 3, 1)
        checks = QHBoxLayout()
        checks.addWidget(self.interpreter)
        checks.addStretch(1)
        checks.addWidget(self.remove_button)
        grid.addLayout(checks, 4, 0, 1, 3)
        for column in range(3):
            grid.setColumnStretch(column, 1)

        self.set_person(PersonData())
        for combo in (self.age_group, self.sex):
            combo.currentIndexChanged.connect(self.changed)
        for edit in (self.name, self.nationalities, self.languages):
            edit.textChanged.connect(self.changed)
        for box in (self.age_disputed, self.interpreter):
            box.toggled.connect(self.changed)

    def set_number(self, number: int) -> None:
        super().set_number(number)
        prefix = self.tr("Person %d") % number
        for block in self.blocks.values():
            block.widget.setAccessibleName(f"{prefix}: {block.label.text()}")
        self.age_disputed.setAccessibleName(f"{prefix}: {self.age_disputed.text()}")
        self.interpreter.setAccessibleName(f"{prefix}: {self.interpreter.text()}")
        self.remove_button.setText(self.tr("Remove person %d") % number)
        self.remove_button.setAccessibleName(self.remove_button.text())
        self.setAccessibleName(prefix)

    def focus_widgets(self) -> list[QWidget]:
        return [
            self.age_group,
            self.sex,
            self.name,
            self.age_disputed,
            self.nationalities,
            self.languages,
            self.interpreter,
            self.remove_button,
        ]

    def person(self) -> PersonData:
        return dataclasses.replace(
            self._original,
            age_group=self.age_group.value() or AgeGroup.UNKNOWN,
            sex=self.sex.value() or Sex.UNKNOWN,
            age_disputed=self.age_disputed.isChecked(),
            nationalities=self.nationalities.codes(),
            languages=self.languages.codes(),
            interpreter_needed=self.interpreter.isChecked(),
            name=self.name.text(),
        )

    def set_person(self, person: PersonData) -> None:
        self._original = person
        self.age_group.set_value(person.age_group)
        self.sex.set_value(person.sex)
        self.age_disputed.setChecked(person.age_disputed)
        self.nationalities.set_codes(person.nationalities)
        self.languages.set_codes(person.languages)
        self.interpreter.setChecked(person.interpreter_needed)
        self.name.setText(person.name)

    def texts(self) -> dict[str, str]:
        """What is typed in the code fields, exactly (a half-typed name is not a code yet)."""
        return {"nationalities": self.nationalities.text(), "languages": self.languages.text()}

    def set_texts(self, texts: dict[str, str]) -> None:
        if "nationalities" in texts:
            self.nationalities.setText(str(texts["nationalities"]))
        if "languages" in texts:
            self.languages.setText(str(texts["languages"]))


class PersonList(RowList[PersonEditor]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            PersonEditor,
            add_text=QCoreApplication.translate("PersonList", "&Add a potential victim"),
            empty_text=QCoreApplication.translate("PersonList", "No potential victims recorded yet."),
            parent=parent,
        )

    def persons(self) -> tuple[PersonData, ...]:
        return tuple(row.person() for row in self.rows)

    def set_persons(self, persons: tuple[PersonData, ...]) -> None:
        self.clear_rows()
        for person in persons:
            self.add_row().set_person(person)
