"""The potential victims recorded on a call, one box each."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from functools import cache

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from supportline.enums import AgeGroup, Sex
from supportline.services import person_age
from supportline.services.call_types import PersonData
from ui.widgets.choices import EnumCombo, ToggleCheckBox
from ui.widgets.completing import CodeListEdit, country_aliases, country_names, language_names
from ui.widgets.fields import FieldBlock, plain, sentence
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
    """Age group and age, sex, nationalities, languages: what the figures count and advice turns on.

    The age field takes an age in years ("15") or a date of birth ("15/03/2011"); an age under 18
    makes the age group child as it is typed (the rule the service and the figures apply).
    """

    #: The keys field errors arrive under (``persons[i].<key>``), in focus order.
    FIELDS = ("age_group", "age_years", "date_of_birth", "sex", "name", "nationalities", "languages")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._original = PersonData()
        self.age_group: EnumCombo[AgeGroup] = EnumCombo(list(AgeGroup))
        self.age = QLineEdit()
        self.age.setPlaceholderText(self.tr("e.g. 15 or 15/03/2011"))
        self.age_hint = QLabel()
        self.age_hint.setObjectName("muted")
        self.age_hint.setWordWrap(True)
        self.age_hint.hide()
        self.day: date = datetime.now(UTC).date()  # the call's day, for a date of birth's age
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
            "age_years": FieldBlock(self.tr("Age or date of birth"), self.age, hint=self.age_hint),
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
        top = Qt.AlignmentFlag.AlignTop
        grid.addWidget(self.blocks["age_group"], 1, 0, top)
        grid.addWidget(self.blocks["age_years"], 1, 1, top)
        grid.addWidget(self.blocks["sex"], 1, 2, top)
        grid.addWidget(self.blocks["name"], 2, 0, 1, 2)
        grid.addWidget(self.age_disputed, 2, 2, Qt.AlignmentFlag.AlignBottom)
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
        for edit in (self.name, self.age, self.nationalities, self.languages):
            edit.textChanged.connect(self.changed)
        for box in (self.age_disputed, self.interpreter):
            box.toggled.connect(self.changed)
        # While typing "15/03/1990" the field reads "15" for a moment: the age group follows
        # once the field is left, the line under it as it is typed.
        self.age.textEdited.connect(lambda _t: self.check_age())
        self.age.editingFinished.connect(self._age_typed)
        self.age_disputed.toggled.connect(lambda _on: self.check_age())
        # The "Saved as"/error line is said as well as shown.
        self.blocks["date_of_birth"] = self.blocks["age_years"]

    def set_number(self, number: int) -> None:
        super().set_number(number)
        prefix = self.tr("Person %d") % number
        for block in self.blocks.values():
            block.widget.setAccessibleName(f"{prefix}: {plain(block.label.text())}")
        self.age_disputed.setAccessibleName(f"{prefix}: {self.age_disputed.text()}")
        self.interpreter.setAccessibleName(f"{prefix}: {self.interpreter.text()}")
        self.remove_button.setText(self.tr("Remove person %d") % number)
        self.remove_button.setAccessibleName(self.remove_button.text())
        self.setAccessibleName(prefix)

    def focus_widgets(self) -> list[QWidget]:
        return [
            self.age_group,
            self.age,
            self.sex,
            self.name,
            self.age_disputed,
            self.nationalities,
            self.languages,
            self.interpreter,
            self.remove_button,
        ]

    def age_values(self) -> tuple[int | None, date | None]:
        """The age typed: (years, None), (None, date of birth), or (None, None) when it is empty
        or cannot be read (``age_problem`` says why; the form does not save until it is fixed)."""
        try:
            return person_age.parse_age_text(self.age.text())
        except person_age.AgeTextError:
            return None, None

    def age_problem(self) -> str:
        try:
            person_age.parse_age_text(self.age.text())
        except person_age.AgeTextError as exc:
            return str(exc)
        return ""

    def _age_typed(self) -> None:
        """Once the field is left: under 18 makes the age group child (unless the age is
        disputed: counted as one anyway)."""
        years, born = self.age_values()
        person = dataclasses.replace(PersonData(), age_years=years, date_of_birth=born)
        age = person_age.known_age(person, self.day)
        if (
            age is not None
            and age < person_age.ADULT_AGE
            and not self.age_disputed.isChecked()
            and self.age_group.value() is not AgeGroup.CHILD
        ):
            self.age_group.set_value(AgeGroup.CHILD)
        self.check_age(final=True)

    def check_age(self, *, final: bool = False) -> None:
        """Under the field: what the age means for the figures, or (once typing stops) what is wrong."""
        problem = self.age_problem()
        years, born = self.age_values()
        age = person_age.known_age(PersonData(age_years=years, date_of_birth=born), self.day)
        if problem:
            role, hint = ("error", sentence(problem)) if final else ("muted", self.tr("Keep typing…"))
        elif age is None:
            role, hint = "muted", ""
        elif born is not None:
            role, hint = "muted", self.tr("Age %d on the day of the call") % age
        else:
            role, hint = "muted", ""
        if age is not None and age < person_age.ADULT_AGE and not problem:
            hint = (hint + ". " if hint else "") + self.tr("Under 18: counted as a child")
        if self.age_hint.objectName() != role:
            self.age_hint.setObjectName(role)
            self.age_hint.style().unpolish(self.age_hint)
            self.age_hint.style().polish(self.age_hint)
        self.age_hint.setText(hint)
        self.age_hint.setVisible(bool(hint))
        self.age.setAccessibleDescription(hint)

    def person(self) -> PersonData:
        years, born = self.age_values()
        return dataclasses.replace(
            self._original,
            age_years=years,
            date_of_birth=born,
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
        self.age.setText(person_age.age_text(person))
        self.check_age()
        self.sex.set_value(person.sex)
        self.age_disputed.setChecked(person.age_disputed)
        self.nationalities.set_codes(person.nationalities)
        self.languages.set_codes(person.languages)
        self.interpreter.setChecked(person.interpreter_needed)
        self.name.setText(person.name)

    def texts(self) -> dict[str, str]:
        """What is typed in the code fields, exactly (a half-typed name is not a code yet)."""
        return {
            "nationalities": self.nationalities.text(),
            "languages": self.languages.text(),
            "age": self.age.text(),
        }

    def set_texts(self, texts: dict[str, str]) -> None:
        if "nationalities" in texts:
            self.nationalities.setText(str(texts["nationalities"]))
        if "languages" in texts:
            self.languages.setText(str(texts["languages"]))
        if "age" in texts:
            self.age.setText(str(texts["age"]))
            self.check_age()


class PersonList(RowList[PersonEditor]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            PersonEditor,
            add_text=QCoreApplication.translate("PersonList", "A&dd a potential victim"),
            empty_text=QCoreApplication.translate("PersonList", "No potential victims recorded yet."),
            parent=parent,
        )

    def persons(self) -> tuple[PersonData, ...]:
        return tuple(row.person() for row in self.rows)

    def set_persons(self, persons: tuple[PersonData, ...]) -> None:
        self.clear_rows()
        for person in persons:
            self.add_row().set_person(person)
