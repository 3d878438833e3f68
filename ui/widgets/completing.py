"""Line edits that complete from a list: one value (a force, an agency) or several codes
(nationalities, languages) typed as names and read back as ISO codes.

Enter takes the highlighted suggestion, or the first one when none is highlighted, so
"devon⏎" is enough for "Devon and Cornwall Police". Free text stays allowed where the list is
only a help (an organisation that is not on it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QCompleter, QLineEdit, QWidget

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
SEPARATOR = ", "


def _completer(items: Sequence[str], parent: QLineEdit) -> tuple[QCompleter, QAbstractItemView]:
    completer = QCompleter(parent)
    completer.setModel(QStringListModel(list(items), completer))
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    completer.setMaxVisibleItems(8)
    popup = completer.popup()  # created and owned by the completer
    assert popup is not None
    return completer, popup


def _take_first_on_enter(completer: QCompleter, popup: QAbstractItemView, event: QKeyEvent) -> str | None:
    """The suggestion Enter should take while the popup is open, or None."""
    if event.key() not in _ENTER or not popup.isVisible():
        return None
    index = popup.currentIndex()
    if index.isValid():
        return str(index.data())
    if completer.completionCount() > 0:
        completer.setCurrentRow(0)
        return completer.currentCompletion()
    return None


class CompletingLineEdit(QLineEdit):
    """One value, suggested from ``items`` (matching anywhere in the name, any case)."""

    def __init__(self, items: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._completer, self._popup = _completer(items, self)
        self.setCompleter(self._completer)
        # The completer's popup sees the keys first while it is open.
        self._popup.installEventFilter(self)

    def eventFilter(self, watched: object, event: object) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            choice = _take_first_on_enter(self._completer, self._popup, event)
            if choice is not None:
                self._popup.hide()
                self.setText(choice)
                self.textEdited.emit(choice)
                self.editingFinished.emit()
                return True
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        choice = _take_first_on_enter(self._completer, self._popup, event)
        if choice is not None:
            self._popup.hide()
            self.setText(choice)
            self.textEdited.emit(choice)
            event.accept()
            return
        super().keyPressEvent(event)


class CodeListEdit(QLineEdit):
    """Several codes typed as names, comma separated: "Vietnam, Albania" reads as ("VN", "AL").

    ``names`` maps code → the name shown (without commas, which separate entries). Typing a
    code or any known name works; a word that matches nothing is kept as typed, so the
    service can name it and nothing the person wrote is lost.
    """

    def __init__(
        self,
        names: dict[str, str],
        *,
        normalise: Callable[[str], str] = str.upper,
        aliases: Iterable[tuple[str, str]] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._names = names
        self._normalise = normalise
        self._codes: dict[str, str] = {name.casefold(): code for code, name in names.items()}
        for alias, code in aliases:
            self._codes.setdefault(alias.casefold(), code)
        for code in names:
            self._codes.setdefault(code.casefold(), code)
        self._completer, self._popup = _completer(sorted(names.values(), key=str.casefold), self)
        self._completer.setWidget(self)
        self._completer.activated.connect(self._insert)
        self._popup.installEventFilter(self)
        self.textEdited.connect(self._suggest)

    # --- values -----------------------------------------------------------------------------

    def tokens(self) -> list[str]:
        return [t.strip() for t in self.text().split(",") if t.strip()]

    def codes(self) -> tuple[str, ...]:
        """The codes typed, in order; unknown words as typed (the service will refuse them)."""
        out: list[str] = []
        for token in self.tokens():
            code = self._codes.get(token.casefold(), token)
            if code not in out:
                out.append(code)
        return tuple(out)

    def known_codes(self) -> tuple[str, ...]:
        return tuple(c for c in self.codes() if c in self._names)

    def set_codes(self, codes: Iterable[str]) -> None:
        self.setText(SEPARATOR.join(self._names.get(self._normalise(c), c) for c in codes))

    # --- completion ---------------------------------------------------------------------------

    def _current_token(self) -> str:
        before = self.text()[: self.cursorPosition()]
        return before.rsplit(",", 1)[-1].lstrip()

    def _suggest(self, _text: str) -> None:
        token = self._current_token()
        if not token:
            self._popup.hide()
            return
        self._completer.setCompletionPrefix(token)
        if self._completer.completionCount() == 0:
            self._popup.hide()
            return
        rect = self.cursorRect()
        rect.setWidth(max(self.width() // 2, self._popup.sizeHintForColumn(0) + 24))
        self._completer.complete(rect)

    def _insert(self, choice: str) -> None:
        position = self.cursorPosition()
        before, after = self.text()[:position], self.text()[position:]
        head = before.rsplit(",", 1)[0] + SEPARATOR if "," in before else ""
        rest = after.split(",", 1)[1].lstrip() if "," in after else ""
        text = head + choice + SEPARATOR + rest
        self.setText(text.rstrip().rstrip(",") if rest else text)
        self.setCursorPosition(len(head + choice + SEPARATOR))
        self.textEdited.emit(self.text())
        self._popup.hide()

    def eventFilter(self, watched: object, event: object) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            choice = _take_first_on_enter(self._completer, self._popup, event)
            if choice is not None:
                self._insert(choice)
                return True
        return False

    def focusOutEvent(self, event: QFocusEvent) -> None:
        # "Vietnam, " is left after a choice, ready for the next; leaving the field tidies it.
        if event.reason() != Qt.FocusReason.PopupFocusReason and not self._popup.isVisible():
            tidy = self.text().rstrip().rstrip(",").rstrip()
            if tidy != self.text():
                self.setText(tidy)  # textChanged tells the form
        super().focusOutEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        choice = _take_first_on_enter(self._completer, self._popup, event)
        if choice is not None:
            self._insert(choice)
            event.accept()
            return
        popup = self._popup
        if popup.isVisible() and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            # Keys sent straight to the edit (not through the popup) still move the highlight.
            row = popup.currentIndex().row()
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            count = self._completer.completionCount()
            self._completer.setCurrentRow(max(0, min(count - 1, row + step)) if row >= 0 else 0)
            popup.setCurrentIndex(self._completer.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)


def country_names() -> dict[str, str]:
    """ISO 3166 code → a name without commas ("Congo, The Democratic…" reads the official way)."""
    import pycountry

    from supportline.reference_data import country_name, nationality_codes

    out: dict[str, str] = {}
    for code in sorted(nationality_codes()):
        name = country_name(code)
        if "," in name:
            country = pycountry.countries.get(alpha_2=code)
            official = str(getattr(country, "official_name", "") or "")
            name = official if official and "," not in official else name.replace(",", "")
        out[code] = name
    return out


def country_aliases() -> list[tuple[str, str]]:
    """Official names and pycountry's plain names as extra ways to type a country."""
    import pycountry

    out: list[tuple[str, str]] = []
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                out.append((str(value), str(country.alpha_2)))
    return out


def language_names() -> dict[str, str]:
    from supportline.reference_data import language_codes, language_name

    return {code: language_name(code).replace(",", "") for code in sorted(language_codes())}
