"""F1: help for the screen in front of you (issue 16, item 4).

The pages are the project's own, in ``resources/help/*.md`` (one per screen, shipped with the
program), shown with Qt's own Markdown rendering; the list beside them opens any other page, and a
link between pages (``[The guidance pane](guidance-pane.md)``) opens that page. The call list's
page ends with the keyboard shortcuts of the window on show.

Which page F1 opens: the main window asks itself (``MainWindow.help_topic``: the call list, a
call form, or the guidance pane the focus is in); any other window names its page with a
``help_topic`` class attribute, and :class:`HelpKey` (installed on the application) opens it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

from PySide6.QtCore import QEvent, QObject, Qt, QUrl
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from supportline.resources import resource_path

#: Every page, in the order the list shows them: file name (without .md) → title.
TOPICS: dict[str, str] = {
    "sign-in": "Signing in",
    "call-list": "The call list",
    "call-form": "Taking a call",
    "guidance-pane": "The guidance pane",
    "export": "Exporting calls",
    "statistics": "Statistics",
    "accounts": "Accounts",
    "audit-viewer": "The audit trail",
    "retention": "Retention and erasure",
    "database": "The shared database",
    "setup": "Setting up Supportline",
    "training": "Training mode",
}
DEFAULT_TOPIC = "call-list"


@cache
def page_text(topic: str) -> str:
    """The Markdown of one page, as shipped (read once)."""
    if topic not in TOPICS:
        raise KeyError(f"no help page {topic!r}")
    return resource_path("help", f"{topic}.md").read_text(encoding="utf-8")


def shortcuts_markdown(shortcuts: Sequence[tuple[str, str]]) -> str:
    if not shortcuts:
        return ""
    rows = "\n".join(f"| {keys} | {what} |" for keys, what in shortcuts)
    return "\n\n## Keyboard shortcuts\n\n| Keys | What they do |\n|---|---|\n" + rows + "\n"


class HelpWindow(QDialog):
    def __init__(
        self,
        shortcuts: Sequence[tuple[str, str]] = (),
        parent: QWidget | None = None,
        *,
        topic: str = DEFAULT_TOPIC,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Help – Supportline"))
        em = self.fontMetrics().height()
        self.resize(em * 52, em * 36)
        self._shortcuts = tuple(shortcuts)
        self.topic = topic
        self.topics = QListWidget()
        self.topics.setAccessibleName(self.tr("Help topics"))
        for key, title in TOPICS.items():
            item = QListWidgetItem(self.tr(title))
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.topics.addItem(item)
        self.topics.setMaximumWidth(em * 14)
        self.topics.currentItemChanged.connect(self._chosen)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._link)
        self.browser.document().setDocumentMargin(em * 0.8)
        self.browser.setAccessibleName(self.tr("Help"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(self.topics)
        row.addWidget(self.browser, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(buttons)
        self.show_topic(topic)

    def show_topic(self, topic: str) -> None:
        """Show ``topic``'s page (an unknown one falls back to the call list's)."""
        self.topic = topic if topic in TOPICS else DEFAULT_TOPIC
        self.restyle()
        for row in range(self.topics.count()):
            item = self.topics.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == self.topic:
                self.topics.blockSignals(True)
                self.topics.setCurrentRow(row)
                self.topics.blockSignals(False)
        self.browser.setFocus()

    def restyle(self) -> None:
        """Render the page again (after a theme change: the browser takes the new palette)."""
        text = page_text(self.topic)
        if self.topic == DEFAULT_TOPIC:
            text += shortcuts_markdown(self._shortcuts)
        self.browser.setMarkdown(text)

    def text(self) -> str:
        return self.browser.toPlainText()

    def _chosen(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None:
            self.topic = str(item.data(Qt.ItemDataRole.UserRole))
            self.restyle()

    def _link(self, url: QUrl) -> None:
        name = url.fileName().removesuffix(".md")
        if name in TOPICS:
            self.show_topic(name)


def open_help(window: QWidget, topic: str) -> HelpWindow:
    """The help window of ``window`` (made once, kept with it) on ``topic``'s page."""
    existing = getattr(window, "_help_window", None)
    help_window = existing if isinstance(existing, HelpWindow) else HelpWindow((), window, topic=topic)
    window._help_window = help_window  # type: ignore[attr-defined]
    help_window.show_topic(topic)
    help_window.show()
    help_window.raise_()
    help_window.activateWindow()
    return help_window


def topic_of(window: QWidget) -> str | None:
    """The help page a window names (its ``help_topic``: a name, or a method giving one)."""
    topic: str | Callable[[], str] | None = getattr(window, "help_topic", None)
    if callable(topic):
        topic = topic()
    return topic if isinstance(topic, str) else None


class HelpKey(QObject):
    """F1 in any window that names a help page opens it (the main window has its own F1 action)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_F1
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
            and isinstance(watched, QWidget)
        ):
            window = watched.window()
            if isinstance(window, HelpWindow | QMainWindow):
                return False
            topic = topic_of(window)
            if topic is not None:
                open_help(window, topic)
                return True
        return False


_key: HelpKey | None = None


def install(app: QApplication) -> None:
    """F1 for every window of the application (idempotent)."""
    global _key
    if _key is None:
        _key = HelpKey(app)
        app.installEventFilter(_key)
