"""The guidance library: every template by route, searchable, outside any call.

Advisers browse and search the templates (title, body, checklist); administrators also see the
problems the loader found in the folder (file:line: message), so a broken template is noticed
instead of silently missing. Changed files are picked up while the window is open: every two
seconds the library looks for changes on the task runner (never on the GUI thread).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from supportline.enums import Route
from supportline.guidance.loader import GuidanceLibrary, GuidanceSet
from supportline.guidance.model import Template
from supportline.services.actor import Actor, Permission
from ui.tasks import TaskRunner
from ui.views.guidance_pane import header_text, sample_badge, template_markdown

#: How often the folder is looked at for changed, added or removed templates.
REFRESH_MS = 2000

_ID = Qt.ItemDataRole.UserRole


def matches(template: Template, query: str) -> bool:
    """Every word of ``query`` appears in the title, the body or a checklist item (any case)."""
    words = query.casefold().split()
    if not words:
        return True
    haystack = "\n".join(
        [template.title, template.id, template.body, *(item.text for item in template.checklist)]
    ).casefold()
    return all(word in haystack for word in words)


class GuidanceLibraryWindow(QWidget):
    """A window of its own (Ctrl+G from the main window)."""

    #: F1 opens this help page (``resources/help/guidance-pane.md``; ``views/help_window``).
    help_topic = "guidance-pane"

    #: The templates (and problems) on show were loaded or reloaded.
    loaded = Signal()

    def __init__(
        self, library: GuidanceLibrary, runner: TaskRunner, actor: Actor, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._library, self._runner, self._actor = library, runner, actor
        self._set: GuidanceSet | None = None
        self._refreshing = False
        self.setWindowTitle(self.tr("Guidance library"))
        self.resize(1100, 720)
        self._build()
        self.search.textChanged.connect(lambda _t: self._fill_tree())
        self.tree.currentItemChanged.connect(lambda _c, _p: self._show_current())
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self._runner.run(library.current, on_success=self._arrived, owner=self)

    @property
    def is_admin(self) -> bool:
        return self._actor.can(Permission.GUIDANCE_ADMIN)

    def _build(self) -> None:
        em = self.fontMetrics().height()
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search titles, text and checklists"))
        self.search.setAccessibleName(self.tr("Search the guidance"))
        self.search.setClearButtonEnabled(True)
        search_label = QLabel(self.tr("&Search"))
        search_label.setBuddy(self.search)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName(self.tr("Templates by route"))
        self.tree.setRootIsDecorated(False)
        self.count = QLabel()
        self.count.setObjectName("muted")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(search_label)
        row.addWidget(self.search, 1)
        left_layout.addLayout(row)
        left_layout.addWidget(self.tree, 1)
        left_layout.addWidget(self.count)

        self.title = QLabel()
        self.title.setObjectName("heading")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        self.meta = QLabel()
        self.meta.setObjectName("muted")
        self.meta.setTextFormat(Qt.TextFormat.PlainText)
        self.badge = sample_badge()
        self.badge.hide()
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setAccessibleName(self.tr("Template"))
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.title)
        meta_row = QHBoxLayout()
        meta_row.addWidget(self.meta)
        meta_row.addWidget(self.badge)
        meta_row.addStretch(1)
        right_layout.addLayout(meta_row)
        right_layout.addWidget(self.browser, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([em * 30, em * 50])

        self.problems_title = QLabel()
        self.problems_title.setObjectName("error")
        self.problems = QListWidget()
        self.problems.setAccessibleName(self.tr("Problems in the guidance folder"))
        self.problems.setMaximumHeight(em * 8)
        self.problems_box = QWidget()
        problems_layout = QVBoxLayout(self.problems_box)
        problems_layout.setContentsMargins(0, 0, 0, 0)
        problems_layout.addWidget(self.problems_title)
        problems_layout.addWidget(self.problems)
        self.problems_box.setVisible(False)
        self.folder = QLabel(self.tr("Folder: %s") % self._library.path)
        self.folder.setObjectName("muted")
        self.folder.setTextFormat(Qt.TextFormat.PlainText)
        self.folder.setVisible(self.is_admin)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(em, em, em, em)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.problems_box)
        layout.addWidget(self.folder)

        find = QAction(self)
        find.setShortcut(QKeySequence("Ctrl+F"))
        find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.triggered.connect(lambda: self.search.setFocus(Qt.FocusReason.ShortcutFocusReason))
        self.addAction(find)
        close = QAction(self)
        close.setShortcut(QKeySequence("Ctrl+W"))
        close.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        close.triggered.connect(self.close)
        self.addAction(close)

    # --- loading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Look for changed files on the runner; reload what is shown if anything changed."""
        if self._refreshing or not self.isVisible():
            return
        self._refreshing = True
        library = self._library

        def done(changed: bool) -> None:
            self._refreshing = False
            if changed or self._set is None:
                self._arrived(library.current())

        def failed(_exc: BaseException) -> None:
            self._refreshing = False

        self._runner.run(library.refresh, on_success=done, on_failure=failed, owner=self)

    def _arrived(self, found: GuidanceSet) -> None:
        self._set = found
        self._fill_tree()
        self._fill_problems()
        self.loaded.emit()

    def _fill_problems(self) -> None:
        problems = self._set.problems if self._set is not None else ()
        self.problems.clear()
        for problem in problems:
            self.problems.addItem(str(problem))
        if problems:
            self.problems_title.setText(
                self.tr("%d problem(s) in the guidance folder: these templates are not in use")
                % len(problems)
            )
        self.problems_box.setVisible(self.is_admin and bool(problems))

    def _fill_tree(self) -> None:
        current = self.current_template()
        keep = current.id if current is not None else None
        self.tree.clear()
        templates = self._set.templates if self._set is not None else ()
        query = self.search.text()
        shown = 0
        first: QTreeWidgetItem | None = None
        for route in Route:
            found = sorted(
                (t for t in templates if t.route == route and matches(t, query)),
                key=lambda t: (t.parent is not None, t.title),
            )
            if not found:
                continue
            heading = QTreeWidgetItem([route.label])
            heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = heading.font(0)
            font.setBold(True)
            heading.setFont(0, font)
            self.tree.addTopLevelItem(heading)
            for template in found:
                item = QTreeWidgetItem([("    " if template.parent else "") + template.title])
                item.setData(0, _ID, template.id)
                item.setToolTip(0, f"{template.id} · {header_text(template)}")
                heading.addChild(item)
                shown += 1
                if first is None or template.id == keep:
                    first = item
            heading.setExpanded(True)
        self.count.setText(self.tr("%d of %d templates") % (shown, len(templates)))
        if first is not None:
            self.tree.setCurrentItem(first)
        else:
            self._show(None)

    def _show_current(self) -> None:
        self._show(self.current_template())

    def current_template(self) -> Template | None:
        item = self.tree.currentItem()
        if item is None or self._set is None:
            return None
        template_id = item.data(0, _ID)
        return self._set.get(template_id) if template_id else None

    def listed_ids(self) -> list[str]:
        """The template ids listed now, in order (tests)."""
        ids: list[str] = []
        for i in range(self.tree.topLevelItemCount()):
            heading = self.tree.topLevelItem(i)
            if heading is None:
                continue
            for j in range(heading.childCount()):
                child = heading.child(j)
                if child is not None:
                    ids.append(str(child.data(0, _ID)))
        return ids

    def _show(self, template: Template | None) -> None:
        if template is None:
            self.title.setText(self.tr("No template matches") if self.search.text() else "")
            self.meta.setText("")
            self.badge.hide()
            self.browser.clear()
            return
        self.title.setText(template.title)
        self.meta.setText(f"{template.route.label} · {header_text(template)}")
        self.badge.setVisible(template.sample)
        self.browser.setMarkdown(template_markdown(template, with_checklist=True))
