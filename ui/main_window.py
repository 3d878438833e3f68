"""The operator's workspace: the Calls tab, a tab per open call form, menus, toolbar, status bar.

Everything that touches the database goes through the task runner. Forms own their own saving
(Ctrl+S is theirs) and autosave drafts; the window opens and closes them, asks before an unsaved
one is closed, offers back the drafts a crash left behind, and locks the screen on Ctrl+L or
after the idle minutes the settings give. Each user's layout and theme are remembered per user
(:mod:`ui.user_layout`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import supportline
from supportline.bootstrap import Environment
from supportline.db import Database
from supportline.guidance.loader import GuidanceLibrary, configured_dir
from supportline.services import calls, drafts
from supportline.services.actor import Actor, Permission, signed_in
from supportline.services.call_types import CallQuery, CallRecord
from supportline.services.drafts import DraftRecord
from supportline.services.permissions import Action
from ui import clipboard, style, training_mode
from ui import formatting as fmt
from ui.models.call_list import CallListModel
from ui.tasks import TaskRunner, default_runner
from ui.user_layout import UserLayout
from ui.views import help_window
from ui.views.calls_tab import HIDDEN_AT_FIRST, CallsTab
from ui.views.drafts_dialog import DraftChoice, DraftsDialog
from ui.views.guidance_library import GuidanceLibraryWindow
from ui.views.help_window import HelpWindow
from ui.views.lock import LockView

if TYPE_CHECKING:
    from ui.copy_audit import CopyAudit
    from ui.views.accounts import AccountsWindow
    from ui.views.audit_viewer import AuditViewer
    from ui.views.call_form import CallForm
    from ui.views.erasure import ErasureDialog
    from ui.views.export_dialog import ExportDialog
    from ui.views.follow_up_dialogs import BookFollowUpDialog, HandOffDialog
    from ui.views.handover_window import HandoverWindow
    from ui.views.retention import RetentionDialog
    from ui.views.rota_grid import RotaWindow
    from ui.views.stats_dashboard import StatsDashboard
    from ui.views.training_panel import TrainingPanel

__all__ = ["HIDDEN_AT_FIRST", "CloseChoice", "MainWindow", "QuitChoice"]

_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


class CloseChoice(StrEnum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


class QuitChoice(StrEnum):
    KEEP_DRAFTS = "keep"
    DISCARD = "discard"
    CANCEL = "cancel"


GUIDANCE_POLL_MS = 3000  # how often the guidance folder is checked for changed files


class MainWindow(QMainWindow):
    #: The Calls tab's count and first page are in (after start-up, a search, a refresh …).
    list_ready = Signal()
    #: A call form was opened in a tab (new, for editing, or restored from a draft).
    form_opened = Signal(object)
    #: The drafts left from an earlier session have been looked at (offered or none found).
    drafts_checked = Signal()
    locked_changed = Signal(bool)

    def __init__(
        self,
        env: Environment,
        db: Database,
        actor: Actor | None,
        *,
        tasks: TaskRunner | None = None,
        page_size: int | None = None,
        max_pages: int | None = None,
        clock: Callable[[], datetime] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.env = env
        #: What time it is for the follow-ups (the Due panel, booking, hand-offs); tests fix it.
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.db = db
        # Built with nobody signed in (the start-up does that while the person types), the window
        # holds no call data and starts nothing until ``sign_in``; built with an actor, it signs
        # them in at once.
        self._actor: Actor | None = None
        self._layout_store: UserLayout | None = None
        self._restored_geometry = False
        self._tasks = tasks or default_runner()
        self._locked = False
        self._quitting = False
        self._signing_out = False  # File ▸ Sign out and close: the forms were asked about already
        self._close_after_save: set[uuid.UUID] = set()
        self._last_input = time.monotonic()
        self.help_window: HelpWindow | None = None
        self.guidance_window: GuidanceLibraryWindow | None = None
        self.export_dialog: ExportDialog | None = None
        self.stats_window: StatsDashboard | None = None
        self.audit_window: AuditViewer | None = None
        self.retention_window: RetentionDialog | None = None
        self.erasure_window: ErasureDialog | None = None
        self.copy_audit: CopyAudit | None = None  # with the actor: copies of calls are audited
        # One library of guidance templates for the whole app; its files are read on the runner.
        self.guidance = GuidanceLibrary(configured_dir(env.settings))
        self._guidance_busy = True
        self._tasks.run(
            self.guidance.current,
            on_success=lambda _set: self._guidance_checked(True),
            on_failure=lambda _exc: self._guidance_checked(False),
            owner=self,
        )
        # Edited, added or removed template files are picked up while the app runs (a stat per file).
        self._guidance_timer = QTimer(self)
        self._guidance_timer.setInterval(GUIDANCE_POLL_MS)
        self._guidance_timer.timeout.connect(self.refresh_guidance)
        self._guidance_timer.start()
        self.setWindowTitle(self.tr("Supportline"))
        em = self.fontMetrics().height()  # a small screen at 125 %, or large fonts: it still fits
        self.setMinimumSize(em * 40, em * 26)
        self.theme_choice = _theme(env.settings.theme)  # the user's own choice comes with sign_in
        self._apply_theme()

        sizes: dict[str, Any] = {}
        if page_size is not None:
            sizes["page_size"] = page_size
        if max_pages is not None:
            sizes["max_pages"] = max_pages
        self.model = CallListModel(db, None, self._tasks, parent=self, **sizes)
        self.calls_tab = CallsTab(db, None, self._tasks, model=self.model)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.addTab(self.calls_tab, self.tr("Calls"))
        # A screen reader names the bar, not only the tab on show ("● New call 11:54"): issue 11.
        self.tabs.tabBar().setAccessibleName(self.tr("Open calls"))
        self.tabs.tabBar().setTabButton(0, QTabBar.ButtonPosition.RightSide, None)
        self.tabs.tabBar().setTabButton(0, QTabBar.ButtonPosition.LeftSide, None)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(self._current_tab_changed)
        self.tabs.tabBar().tabMoved.connect(self._keep_calls_first)

        self.lock_view = LockView(db, None, self._tasks)
        self.lock_view.unlocked.connect(self.unlock)
        self.locked_changed.connect(self.lock_view.record_locked)  # audited: screen lock/unlock
        # The outage banner (ui/outage.py) runs the width of the window above the tabs, wrapped,
        # so the whole sentence shows at 1366 px; hidden while the shared database answers.
        self.outage_banner = QLabel()
        self.outage_banner.setObjectName("outageBanner")
        self.outage_banner.setWordWrap(True)
        self.outage_banner.setAccessibleName(self.tr("Shared database state"))
        self.outage_banner.hide()
        self.workspace = QWidget()
        workspace = QVBoxLayout(self.workspace)
        workspace.setContentsMargins(0, 0, 0, 0)
        workspace.setSpacing(0)
        workspace.addWidget(self.outage_banner)
        workspace.addWidget(self.tabs, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.workspace)
        self.pages.addWidget(self.lock_view)
        self.setCentralWidget(self.pages)

        self.export_action: QAction | None = None
        self.stats_action: QAction | None = None
        self.audit_action: QAction | None = None
        self.accounts_action: QAction | None = None
        self.accounts_window: AccountsWindow | None = None
        self.retention_action: QAction | None = None  # administrators (Permission.RETENTION_ADMIN)
        self.erasure_action: QAction | None = None  # supervisors and administrators
        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self._make_status_bar()
        # Issue 16: in training mode its band and menu entries, in a live window the way in.
        self.training_action: QAction | None = None
        self.reset_training_action: QAction | None = None
        self.scenario_actions: list[QAction] = []
        self.training_panel: TrainingPanel | None = None
        training_mode.attach(self)
        help_window.install(cast(QApplication, QApplication.instance()))  # F1 in every window
        self.model.loaded.connect(self.list_ready)
        self.calls_tab.open_requested.connect(self.open_call)

        self._idle_limit_ms = env.settings.idle_lock_minutes * 60_000
        self._idle_timer = QTimer(self)
        self._idle_timer.setInterval(min(15_000, max(self._idle_limit_ms // 4, 250)))
        self._idle_timer.timeout.connect(self.check_idle)
        self._current_tab_changed(0)
        if actor is not None:
            self.sign_in(actor)

    def polish_ahead(self) -> None:
        """Style every widget now. A hidden window is polished when first shown, and with the
        style sheet that is a good part of its first paint; the start-up does it while the
        person types, so that after their sign-in the window only has to be painted."""
        for widget in (self, *self.findChildren(QWidget)):
            widget.ensurePolished()

    @property
    def actor(self) -> Actor:
        """Who is signed in."""
        return signed_in(self._actor, "this window")

    @property
    def layout_store(self) -> UserLayout:
        """The signed-in user's own layout."""
        signed_in(self._actor, "this window")
        assert self._layout_store is not None  # set with the actor
        return self._layout_store

    def sign_in(self, actor: Actor) -> None:
        """The window becomes ``actor``'s (their layout, theme and permitted actions) and starts
        work: the call list loads, idleness is watched."""
        if self._actor is not None:
            raise RuntimeError("this window already belongs to someone")
        self._actor = actor
        self.calls_tab.set_actor(actor)
        # The count and first page load on the task runner while the rest is set up and shown
        # (newest first, no filters: a layout that sorts otherwise asks again, dropping this).
        self.model.refresh()
        self.lock_view.set_actor(actor)
        self._layout_store = UserLayout(self.env.paths, actor.username)
        self.setWindowTitle(self.tr("Supportline – %s") % actor.display_name)
        choice = _theme(self.layout_store.text("theme", self.env.settings.theme))
        if choice != self.theme_choice:
            self.theme_choice = choice
            self.theme_actions[choice].setChecked(True)
            self._apply_theme()
        self._add_permitted_actions()
        self._add_follow_ups()  # issue 14: the Due panel, Ctrl+B, hand to the duty adviser
        # From now on what is copied from this window is cleared on lock, sign-out and quit, and
        # a copy of a call is audited as a disclosure.
        from ui.copy_audit import CopyAudit

        self.copy_audit = CopyAudit(self.db, actor, self._tasks, self)
        self.copy_audit.failed.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        clipboard.guard().copied.connect(self._copied_in)
        self.user_label.setText(self.tr("Signed in as %s (%s)") % (actor.display_name, actor.role.label))
        self._restore_layout()
        if not self._guidance_busy:
            self._show_guidance_problems()
        self._last_input = time.monotonic()
        self._idle_timer.start()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(self._system_scheme_changed)
        self.calls_tab.start()
        from supportline.sync.local_drafts import LocalDrafts
        from supportline.sync.local_store import local_file

        # issue 13: drafts the database does not take (away, read-only, full) are kept here; a
        # training window's in a file of its own, never the live line's
        self.local_drafts = LocalDrafts(local_file(self.env.paths.data_dir, training=self.db.training))
        for form in self.forms():
            form.local_drafts = self.local_drafts
        self._start_live_updates()  # issue 13: saves at other workstations show here
        self.live_updates.calls_changed.connect(lambda _saved: self.due_panel.refresh())
        self.due_panel.start()
        self._start_outage()  # issue 13: saves during an outage of the shared database are journaled
        self._add_database_action()  # issue 13: administrators choose the shared database
        self._add_operations()  # issue 14: the duty rota, who to escalate to, the shift handover

    # --- building ---------------------------------------------------------------------------

    def _action(
        self, text: str, slot: Any, *shortcuts: str | QKeySequence.StandardKey, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        keys = [QKeySequence(s) for s in shortcuts]
        if keys:
            action.setShortcuts(keys)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        a = self._action
        self.new_call_action = a(
            self.tr("&New call"), self.new_call, "Ctrl+N", tip=self.tr("Start a new call (Ctrl+N)")
        )
        # Ctrl+S belongs to the form (its own shortcut, active inside it). The window's action
        # shows the key in the menu but is not the window's: added to no widget but its menu
        # and toolbar button, with a widget-only context, it never competes with the form's.
        self.save_action = QAction(self.tr("&Save call"), self)
        self.save_action.setShortcut(QKeySequence("Ctrl+S"))
        self.save_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.save_action.setToolTip(self.tr("Save the call on show (Ctrl+S)"))
        self.save_action.triggered.connect(self.save_current)
        self.close_tab_action = a(
            self.tr("&Close tab"),
            self.close_current_tab,
            "Ctrl+W",
            tip=self.tr("Close the call on show (Ctrl+W)"),
        )
        self.refresh_action = a(
            self.tr("&Refresh list"), self.refresh, "F5", tip=self.tr("Load the list again (F5)")
        )
        self.lock_action = a(
            self.tr("&Lock screen"),
            self.lock,
            "Ctrl+L",
            tip=self.tr("Hide everything until your password is given (Ctrl+L)"),
        )
        self.sign_out_action = a(
            self.tr("Sign &out and close"),
            self.sign_out,
            "Ctrl+Shift+Q",
            tip=self.tr("Sign out and close Supportline; unsaved calls are kept as drafts (Ctrl+Shift+Q)"),
        )
        self.quit_action = a(self.tr("&Quit"), self.close, "Ctrl+Q")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.find_action = a(
            self.tr("&Search calls"), self.focus_search, "Ctrl+F", tip=self.tr("Search the calls (Ctrl+F)")
        )
        self.clear_filters_action = a(self.tr("C&lear filters"), self.clear_filters)
        self.open_call_action = a(self.tr("&Open selected call") + "\tEnter", self.open_selected_call)
        self.copy_call_action = a(
            self.tr("&Copy call"),
            self.copy_call,
            "Ctrl+Shift+C",
            tip=self.tr("Copy the call on show beside the list, as text (recorded in the audit log)"),
        )
        self.next_tab_action = a(self.tr("Ne&xt tab"), lambda: self.step_tab(1), "Ctrl+Tab", "Ctrl+PgDown")
        self.previous_tab_action = a(
            self.tr("&Previous tab"), lambda: self.step_tab(-1), "Ctrl+Shift+Tab", "Ctrl+PgUp"
        )
        self.help_action = a(
            self.tr("&Keyboard and help"),
            self.show_help,
            "F1",
            tip=self.tr("Shortcuts and what each part does (F1)"),
        )
        self.guidance_action = a(
            self.tr("Guidance &library"),
            self.show_guidance_library,
            "Ctrl+G",
            tip=self.tr("Browse and search the guidance templates (Ctrl+G)"),
        )
        self.about_action = a(self.tr("&About Supportline"), self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.reset_layout_action = a(self.tr("&Reset layout"), self.reset_layout)
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for choice, text in (
            (style.LIGHT, self.tr("&Light")),
            (style.DARK, self.tr("&Dark")),
            (style.SYSTEM, self.tr("Follow &system")),
            (style.HIGH_CONTRAST, self.tr("&High contrast")),
        ):
            action = QAction(text, self.theme_group)
            action.setCheckable(True)
            action.setChecked(choice == self.theme_choice)
            action.triggered.connect(lambda _checked=False, c=choice: self.set_theme(c))
            self.theme_actions[choice] = action

    def _make_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = file_menu = bar.addMenu(self.tr("&File"))
        for action in (self.new_call_action, self.save_action, self.close_tab_action):
            file_menu.addAction(action)
        self._lock_separator = file_menu.addSeparator()  # Export goes above it (_add_permitted_actions)
        file_menu.addAction(self.lock_action)
        file_menu.addSeparator()
        file_menu.addAction(self.sign_out_action)
        file_menu.addAction(self.quit_action)
        self.call_menu = call_menu = bar.addMenu(self.tr("&Call"))
        for action in (
            self.find_action,
            self.clear_filters_action,
            self.open_call_action,
            self.copy_call_action,
            self.refresh_action,
        ):
            call_menu.addAction(action)
        self.view_menu = view_menu = bar.addMenu(self.tr("&View"))
        theme_menu = view_menu.addMenu(self.tr("&Theme"))
        for action in self.theme_actions.values():
            theme_menu.addAction(action)
        self.columns_menu = view_menu.addMenu(self.tr("&Columns"))
        self.columns_menu.aboutToShow.connect(self._fill_columns_menu)
        view_menu.addAction(self.reset_layout_action)
        self._tabs_separator = view_menu.addSeparator()  # Statistics goes above it
        view_menu.addAction(self.next_tab_action)
        view_menu.addAction(self.previous_tab_action)
        self.help_menu = help_menu = bar.addMenu(self.tr("&Help"))
        help_menu.addAction(self.guidance_action)
        help_menu.addAction(self.help_action)
        help_menu.addAction(self.about_action)

    def _add_permitted_actions(self) -> None:
        """Supervisors and admins only: an operator's window has neither the entries nor the keys."""
        a = self._action
        if self.actor.can(Permission.EXPORT_PERSONAL) or self.actor.can(Permission.EXPORT_FIGURES):
            self.export_action = a(
                self.tr("&Export calls…"),
                self.show_export_dialog,
                "Ctrl+E",
                tip=self.tr("Export the listed calls or their figures to a file (Ctrl+E)"),
            )
            self.file_menu.insertSeparator(self._lock_separator)
            self.file_menu.insertAction(self._lock_separator, self.export_action)
        if self.actor.can(Permission.RETENTION_ADMIN):
            self.retention_action = a(
                self.tr("&Retention review…"),
                self.show_retention,
                tip=self.tr("What the retention schedule erases, and what it keeps, with reasons"),
            )
            self.file_menu.insertAction(self.export_action or self._lock_separator, self.retention_action)
        if self.actor.can(Permission.ERASURE_REQUEST) or self.actor.can(Permission.ERASURE_APPROVE):
            self.erasure_action = a(
                self.tr("Er&asure requests…"),
                self.show_erasure,
                tip=self.tr("Ask for a call's erasure, or approve another supervisor's request"),
            )
            self.file_menu.insertAction(self.export_action or self._lock_separator, self.erasure_action)
        if self.actor.can(Permission.EXPORT_FIGURES):
            self.stats_action = a(
                self.tr("&Statistics"),
                self.show_statistics,
                "Ctrl+Shift+T",
                tip=self.tr("Figures and charts for a period (Ctrl+Shift+T)"),
            )
            self.view_menu.insertSeparator(self._tabs_separator)
            self.view_menu.insertAction(self._tabs_separator, self.stats_action)
        if self.actor.can(Permission.AUDIT_READ):  # the audit viewer (issue 12)
            self.audit_action = a(
                self.tr("&Audit trail"), self.show_audit_viewer, tip=self.tr("Who did what, and when")
            )
            self.view_menu.insertAction(self._tabs_separator, self.audit_action)
        if self.actor.can(Permission.USER_ADMIN):
            self._add_accounts_action()

    def _add_accounts_action(self) -> None:
        """Admins: File ▸ Accounts… (Ctrl+Shift+A), beside the other administration entries (a
        menu of its own would need a letter every window's form already uses for a field)."""
        self.accounts_action = self._action(
            self.tr("Acco&unts…"),
            self.show_accounts,
            "Ctrl+Shift+A",
            tip=self.tr("Add, disable, unlock accounts and reset passwords (Ctrl+Shift+A)"),
        )
        self.file_menu.insertAction(self._lock_separator, self.accounts_action)

    def show_accounts(self) -> AccountsWindow | None:
        """The Accounts window (administrators only)."""
        from ui.views.accounts import AccountsWindow

        if self.accounts_action is None or self._locked:
            return None
        if self.accounts_window is None:
            self.accounts_window = AccountsWindow(self.db, self.actor, self._tasks, parent=self)
        else:
            self.accounts_window.refresh()
        self.accounts_window.show()
        self.accounts_window.raise_()
        self.accounts_window.activateWindow()
        return self.accounts_window

    def _make_toolbar(self) -> None:
        self.toolbar = QToolBar(self.tr("Main toolbar"))
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.new_call_action, self.save_action, self.close_tab_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.find_action)
        self.toolbar.addAction(self.refresh_action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.lock_action)
        self.toolbar.addAction(self.help_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        for action, text in ((self.help_action, self.tr("Help")), (self.find_action, self.tr("Search"))):
            action.setIconText(text)  # the toolbar's short word; the menu keeps the full text

    def _make_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.user_label = QLabel()  # "Signed in as …": sign_in
        described = self.db.describe()
        self.database_label = QLabel(
            self.database_label_text(described, self.fontMetrics().averageCharWidth() * 48)
        )
        self.database_label.setToolTip(described)
        self.clock_label = QLabel()
        self.clock_label.setAccessibleName(self.tr("Time on the line"))
        # Only admins see it: which guidance files are broken (the rest of the guidance still loads).
        self.guidance_label = QLabel()
        self.guidance_label.setObjectName("error")
        self.guidance_label.setAccessibleName(self.tr("Guidance problems"))
        self.guidance_label.hide()
        bar.addPermanentWidget(self.guidance_label)
        bar.addPermanentWidget(self.database_label)
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.clock_label)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        self._tick()

    def database_label_text(self, described: str, width: int) -> str:
        """Long SQLite paths lose their middle, not the file name."""
        return self.fontMetrics().elidedText(described, Qt.TextElideMode.ElideMiddle, width)

    # --- the per-user layout ----------------------------------------------------------------

    @property
    def restored_geometry(self) -> bool:
        return self._restored_geometry

    def _restore_layout(self) -> None:
        store = self.layout_store
        geometry = store.bytes("geometry")
        self._restored_geometry = geometry is not None and self.restoreGeometry(geometry)
        state = store.bytes("window_state")
        if state is not None:
            self.restoreState(state)
        splitter = store.bytes("splitter")
        if splitter is not None:
            self.calls_tab.splitter.restoreState(splitter)
        header = store.bytes("columns")
        if header is not None:
            self.calls_tab.table.horizontalHeader().restoreState(header)

    def save_layout(self) -> None:
        store = self._layout_store
        if store is None:
            return  # nobody signed in: no layout of anyone's to keep
        store.set("geometry", self.saveGeometry())
        store.set("window_state", self.saveState())
        store.set("splitter", self.calls_tab.splitter.saveState())
        store.set("columns", self.calls_tab.table.horizontalHeader().saveState())
        store.set("theme", self.theme_choice)
        store.sync()

    def _fill_columns_menu(self) -> None:
        self.columns_menu.clear()
        for action in self.calls_tab.column_menu(self.columns_menu).actions():
            self.columns_menu.addAction(action)

    def reset_layout(self) -> None:
        self.calls_tab.table.default_columns()
        self.calls_tab.splitter.setSizes([920, 430])
        self.calls_tab.table.horizontalHeader().setSortIndicator(1, Qt.SortOrder.DescendingOrder)

    # --- theme ------------------------------------------------------------------------------

    def set_theme(self, choice: str) -> None:
        """Light, dark, high contrast or the desktop's; remembered for this user."""
        if choice not in style.CHOICES:
            raise ValueError(f"unknown theme {choice!r}")
        self.theme_choice = choice
        self.theme_actions[choice].setChecked(True)
        self._apply_theme()
        self.layout_store.set("theme", choice)
        self.layout_store.sync()

    def _apply_theme(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            style.apply(app, self.theme_choice)
        if hasattr(self, "calls_tab"):
            self.calls_tab.restyle()
        if self.help_window is not None:
            self.help_window.restyle()
        if self.stats_window is not None:
            self.stats_window.restyle()

    def _system_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.theme_choice == style.SYSTEM:
            self._apply_theme()

    # --- call forms -------------------------------------------------------------------------

    def forms(self) -> list[CallForm]:
        """The open call forms, in tab order (every tab but the Calls tab is one)."""
        pages = (self.tabs.widget(i) for i in range(self.tabs.count()))
        return [cast("CallForm", page) for page in pages if page is not self.calls_tab]

    def current_form(self) -> CallForm | None:
        page = self.tabs.currentWidget()
        return None if page is self.calls_tab or page is None else cast("CallForm", page)

    def form_for(self, call_id: uuid.UUID) -> CallForm | None:
        return next((form for form in self.forms() if form.call_id() == call_id), None)

    def new_call(self) -> CallForm:
        from ui.views.call_form import CallForm

        form = CallForm(self.db, self.actor, self._tasks, self.db.zone, library=self.guidance)
        return self._add_form(form)

    def open_selected_call(self) -> None:
        call_id = self.calls_tab.selected_call()
        if call_id is not None:
            self.open_call(call_id)

    def open_call(self, call_id: uuid.UUID) -> None:
        """Edit ``call_id`` in a tab (the open one if there is one)."""
        self.model.record_consultation()  # acting on a result settles the search it came from
        form = self.form_for(call_id)
        if form is not None:
            self.tabs.setCurrentWidget(form)
            return
        db, actor = self.db, self.actor
        self.statusBar().showMessage(self.tr("Opening the call…"))
        self._tasks.run(
            lambda: calls.get_call(db, actor, call_id),
            on_success=self._record_arrived,
            on_failure=lambda exc: self._show_problem(self.tr("The call could not be opened"), exc),
            owner=self,
        )

    def _record_arrived(self, record: CallRecord) -> None:
        from ui.views.call_form import CallForm

        self.statusBar().clearMessage()
        form = self.form_for(record.id)
        if form is not None:  # opened twice quickly
            self.tabs.setCurrentWidget(form)
            return
        self._add_form(
            CallForm(self.db, self.actor, self._tasks, self.db.zone, record=record, library=self.guidance)
        )

    def restore_drafts(self, chosen: Sequence[DraftRecord]) -> None:
        """Open each draft in its own tab; a draft of an edit opens over its saved call."""
        from ui.views.call_form import CallForm

        for draft in chosen:
            if self.form_for(draft.call_id) is not None:
                continue
            if draft.is_edit:
                self._restore_edit(draft)
            else:
                form = CallForm(
                    self.db, self.actor, self._tasks, self.db.zone, draft=draft, library=self.guidance
                )
                self._add_form(form)

    def _restore_edit(self, draft: DraftRecord) -> None:
        from ui.views.call_form import CallForm

        db, actor, call_id = self.db, self.actor, draft.call_id

        def opened(record: CallRecord) -> None:
            self._add_form(
                CallForm(
                    self.db,
                    self.actor,
                    self._tasks,
                    self.db.zone,
                    record=record,
                    draft=draft,
                    library=self.guidance,
                )
            )

        self._tasks.run(
            lambda: calls.get_call(db, actor, call_id),
            on_success=opened,
            on_failure=lambda exc: self._show_problem(self.tr("A draft could not be restored"), exc),
            owner=self,
        )

    def _add_form(self, form: CallForm) -> CallForm:
        # The field the form asked for (while hidden); showing the tab would focus its first
        # widget in the tab chain instead.
        intended = form.focusWidget()
        form.outage = getattr(self, "outage", None)  # issue 13: a save during an outage is journaled
        form.local_drafts = getattr(self, "local_drafts", None)  # … and its draft kept on this computer
        form.journal_settled.connect(self._journal_settled)
        if getattr(self, "escalation", None) is not None:  # issue 14: who to escalate to now
            form.set_escalation(self.escalation)
        index = self.tabs.addTab(form, form.title())
        self.tabs.setTabToolTip(index, form.title())
        # A quiet "×" rather than the style's red close icon, which reads as an alarm.
        close = QToolButton()
        close.setObjectName("tabClose")
        close.setText("×")
        close.setAutoRaise(True)
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        close.setToolTip(self.tr("Close this call (Ctrl+W)"))
        close.setAccessibleName(self.tr("Close tab"))
        close.clicked.connect(lambda _checked=False, f=form: self.close_tab(self.tabs.indexOf(f)))
        self.tabs.tabBar().setTabButton(index, QTabBar.ButtonPosition.RightSide, close)
        form.title_changed.connect(lambda _t, f=form: self._update_tab(f))
        form.dirty_changed.connect(lambda _d, f=form: self._update_tab(f))
        form.saved.connect(lambda record, f=form: self._form_saved(f, record))
        self.tabs.setCurrentWidget(form)
        self._update_tab(form)
        self._focus_first_field(form, intended)
        QTimer.singleShot(0, lambda: self._focus_first_field(form, intended))
        self.form_opened.emit(form)
        return form

    def _focus_first_field(self, form: QWidget, intended: QWidget | None = None) -> None:
        if self._locked or self.tabs.currentWidget() is not form:
            return
        focus = getattr(form, "focus_first_field", None)
        if callable(focus):
            focus()
            return
        chosen = intended or form.focusWidget()  # the field the form itself asked for, if it did
        if (
            chosen is not None
            and shiboken6.isValid(chosen)
            and chosen.isVisibleTo(form)
            and chosen.isEnabled()
        ):
            chosen.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        widget = form.nextInFocusChain()
        while widget is not None and widget is not form:
            if (
                form.isAncestorOf(widget)
                and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
                and widget.isEnabled()
                and widget.isVisibleTo(form)
            ):
                widget.setFocus(Qt.FocusReason.TabFocusReason)
                return
            widget = widget.nextInFocusChain()

    def _update_tab(self, form: CallForm) -> None:
        index = self.tabs.indexOf(form)
        if index < 0:
            return
        title = form.title()
        self.tabs.setTabText(index, ("● " if form.has_unsaved_changes() else "") + title)
        self.tabs.setTabToolTip(
            index, title + (self.tr(" (unsaved changes)") if form.has_unsaved_changes() else "")
        )
        self._current_tab_changed(self.tabs.currentIndex())

    def _form_saved(self, form: CallForm, record: CallRecord) -> None:
        self._update_tab(form)
        self.statusBar().showMessage(self.tr("%s saved") % record.reference, 5000)
        self.model.refresh()
        if self.calls_tab.detail.record is not None and self.calls_tab.detail.record.id == record.id:
            self.calls_tab.show_call(record.id)
        if record.id in self._close_after_save:
            self._close_after_save.discard(record.id)
            self._remove_tab(form)

    def save_current(self) -> None:
        form = self.current_form()
        if form is not None:
            form.save()

    def close_current_tab(self) -> None:
        index = self.tabs.currentIndex()
        if index > 0 or self.current_form() is not None:
            self.close_tab(index)

    def close_tab(self, index: int) -> bool:
        """Close a form's tab, asking first if it has unsaved changes; True if it went."""
        page = self.tabs.widget(index)
        if page is None or page is self.calls_tab:
            return False
        form = cast("CallForm", page)
        if form.has_unsaved_changes():
            self.tabs.setCurrentWidget(form)
            choice = self.ask_unsaved(form.title())
            if choice == CloseChoice.CANCEL:
                return False
            if choice == CloseChoice.SAVE:
                self._close_after_save.add(form.call_id())
                form.save()  # the tab goes once it has saved; errors keep it open
                return False
            form.discard_draft()
        self._remove_tab(form)
        return True

    def _remove_tab(self, form: QWidget) -> None:
        index = self.tabs.indexOf(form)
        if index >= 0:
            self.tabs.removeTab(index)
        form.deleteLater()

    def ask_unsaved(self, title: str) -> CloseChoice:
        """Save, discard or keep the form open (tests replace this)."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Unsaved changes"))
        box.setText(self.tr("%s has changes that are not saved.") % title)
        box.setInformativeText(self.tr("Save the call before closing it?"))
        save = box.addButton(QMessageBox.StandardButton.Save)
        discard = box.addButton(QMessageBox.StandardButton.Discard)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(save)
        box.exec()
        clicked = box.clickedButton()
        if clicked is save:
            return CloseChoice.SAVE
        if clicked is discard:
            return CloseChoice.DISCARD
        return CloseChoice.CANCEL

    def ask_quit(self, count: int) -> QuitChoice:
        """Quitting with unsaved forms: keep them as drafts, discard them, or stay (tests replace this)."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Unsaved calls"))
        box.setText(self.tr("%n call(s) have unsaved changes.", "", count))
        box.setInformativeText(
            self.tr("Keep them as drafts to be offered back at the next start, or discard them.")
        )
        keep = box.addButton(self.tr("&Keep drafts and quit"), QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton(self.tr("&Discard and quit"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        box.exec()
        clicked = box.clickedButton()
        if clicked is keep:
            return QuitChoice.KEEP_DRAFTS
        if clicked is discard:
            return QuitChoice.DISCARD
        return QuitChoice.CANCEL

    def ask_sign_out(self, count: int) -> bool:
        """Signing out with unsaved forms: go on (they are kept as drafts) or stay (tests replace this)."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Sign out"))
        box.setText(self.tr("%n call(s) have unsaved changes.", "", count))
        box.setInformativeText(
            self.tr(
                "They are kept as drafts and offered back when you next sign in. "
                "Sign out and close Supportline?"
            )
        )
        sign_out = box.addButton(self.tr("Sign &out"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(sign_out)
        box.exec()
        return box.clickedButton() is sign_out

    def sign_out(self) -> bool:
        """File ▸ Sign out and close: asks first if calls are unsaved (they are kept as drafts),
        then closes the window, which clears the app's own clipboard content and records the
        logout. True if the window closed."""
        if self._actor is None or self._locked:
            return False
        unsaved = sum(1 for form in self.forms() if form.has_unsaved_changes())
        if unsaved and not self.ask_sign_out(unsaved):
            return False
        self._signing_out = True
        try:
            return self.close()
        finally:
            self._signing_out = False

    def flush_drafts(self) -> None:
        for form in self.forms():
            if form.has_unsaved_changes():
                form.flush_draft()

    # --- drafts left by an earlier session --------------------------------------------------

    def offer_drafts(self) -> None:
        """Look for this user's drafts (in the database and on this computer) and, if there are
        any, offer to restore them."""
        db, actor = self.db, self.actor
        local = getattr(self, "local_drafts", None)
        outage = getattr(self, "outage", None)

        def look() -> tuple[Sequence[DraftRecord], tuple[str, ...]]:
            if local is None:
                return drafts.list_drafts(db, actor), ()
            waiting = outage.journal.waiting_calls(actor.user_id) if outage is not None else {}
            listing = local.list_drafts(db, actor, superseded=waiting)
            return listing.drafts, listing.problems

        self._tasks.run(
            look,
            on_success=lambda found: self._drafts_found(*found),
            on_failure=self._drafts_not_found,
            owner=self,
        )

    def _drafts_not_found(self, exc: BaseException) -> None:
        self._show_problem(self.tr("Unsaved calls could not be looked for"), exc)
        self.drafts_checked.emit()

    def _drafts_found(self, found: Sequence[DraftRecord], problems: tuple[str, ...] = ()) -> None:
        if problems:  # e.g. the database away: this computer's drafts only
            self.statusBar().showMessage(
                self.tr("Not every draft could be looked for: %s") % "; ".join(problems), 15_000
            )
        waiting = [d for d in found if self.form_for(d.call_id) is None]
        if not waiting:
            self.drafts_checked.emit()
            return
        choice, chosen = self.ask_drafts(waiting)
        if choice == DraftChoice.RESTORE:
            self.restore_drafts(chosen)
        elif choice == DraftChoice.DISCARD:
            db, actor = self.db, self.actor
            local = getattr(self, "local_drafts", None)
            pairs = [(d.id, d.call_id) for d in chosen]

            def discard() -> None:
                for draft_id, call_id in pairs:
                    if local is not None:
                        local.discard(db, actor, draft_id, call_id)
                    else:
                        drafts.discard_draft(db, actor, draft_id)

            self._tasks.run(
                discard,
                on_failure=lambda exc: self._show_problem(self.tr("Drafts could not be discarded"), exc),
                owner=self,
            )
        self.drafts_checked.emit()

    def ask_drafts(self, found: Sequence[DraftRecord]) -> tuple[DraftChoice, tuple[DraftRecord, ...]]:
        """The recovery dialog (tests replace this or drive the dialog themselves)."""
        return DraftsDialog.ask(found, self.db.zone, parent=self)

    # --- the list ---------------------------------------------------------------------------

    def refresh(self) -> None:
        self.calls_tab.refresh()

    def _start_live_updates(self) -> None:
        from ui.live_updates import LiveUpdates

        self.live_updates = LiveUpdates(self.db, self)
        self.live_updates.calls_changed.connect(self._saved_elsewhere)
        self.live_updates.start()
        feed = self.live_updates.feed
        self.destroyed.connect(lambda *_: feed.stop(0))  # the feed's thread ends with the window

    def _add_database_action(self) -> None:
        if not self.actor.can(Permission.USER_ADMIN):
            return
        self.database_action = self._action(
            self.tr("Shared data&base…"),
            self.show_database_dialog,
            tip=self.tr("Which shared database this workstation uses, tested before it is saved"),
        )
        self.file_menu.insertAction(self._lock_separator, self.database_action)

    # --- 24/7 operations (issue 14): the duty rota, escalation now, the shift handover ---------

    def _add_operations(self) -> None:
        """Everyone: who to escalate to now (in the call forms) and View ▸ Duty rota. Supervisors
        and admins: View ▸ Shift handover (Ctrl+Shift+H) and a banner flagging routes without a
        duty adviser and a shift with no acknowledged handover 30 minutes after it started."""
        from ui.escalation import EscalationFeed
        from ui.operations import OperationsWatch

        self.rota_window: RotaWindow | None = None
        self.handover_window: HandoverWindow | None = None
        self.handover_action: QAction | None = None
        if not self.actor.can(Permission.CALL_READ):
            return
        self.escalation = EscalationFeed(self.db, self.actor, self._tasks, parent=self)
        for form in self.forms():
            form.set_escalation(self.escalation)
        self.escalation.start()
        self.rota_action = self._action(
            self.tr("Duty r&ota…"),
            self.show_rota,
            tip=self.tr("Who is duty adviser and deputy for each route"),
        )
        self.view_menu.insertAction(self._tabs_separator, self.rota_action)
        if self.actor.can(Permission.HANDOVER_READ):
            self.handover_action = self._action(
                self.tr("Shift &handover…"),
                self.show_handover,
                "Ctrl+Shift+H",
                tip=self.tr(
                    "Write the shift's handover, or acknowledge the one handed to you (Ctrl+Shift+H)"
                ),
            )
            self.view_menu.insertAction(self._tabs_separator, self.handover_action)
        if OperationsWatch.wanted(self.actor):
            self.operations_banner = QLabel()
            self.operations_banner.setObjectName("outageBanner")
            self.operations_banner.setWordWrap(True)
            self.operations_banner.setAccessibleName(self.tr("Supervisor notices"))
            self.operations_banner.hide()
            workspace = cast(QVBoxLayout, self.workspace.layout())
            workspace.insertWidget(workspace.indexOf(self.tabs), self.operations_banner)
            self.operations_watch = OperationsWatch(
                self.db, self.actor, self._tasks, changes=self._shift_changes(), parent=self
            )
            self.operations_watch.notice.connect(self._operations_notice)
            self.operations_watch.start()

    def _shift_changes(self) -> tuple[Any, ...]:
        from supportline.services import handover

        try:
            return self.env.settings.shift_times()
        except ValueError:
            return handover.DEFAULT_SHIFT_CHANGES

    def _operations_notice(self, text: str) -> None:
        self.operations_banner.setText(text)
        self.operations_banner.setVisible(bool(text))

    def show_rota(self) -> RotaWindow | None:
        from ui.views.rota_grid import RotaWindow

        if self._locked or getattr(self, "rota_action", None) is None:
            return None
        if self.rota_window is None:
            self.rota_window = RotaWindow(self.db, self.actor, self._tasks, parent=self)
            self.rota_window.rota_changed.connect(self.escalation.refresh)
            self.rota_window.rota_changed.connect(self._rota_changed)
        else:
            self.rota_window.refresh()
        self.rota_window.show()
        self.rota_window.raise_()
        self.rota_window.activateWindow()
        return self.rota_window

    def _rota_changed(self) -> None:
        watch = getattr(self, "operations_watch", None)
        if watch is not None:
            watch.check()

    def show_handover(self) -> HandoverWindow | None:
        from ui.views.handover_window import HandoverWindow

        if self._locked or self.handover_action is None:
            return None
        if self.handover_window is None:
            self.handover_window = HandoverWindow(
                self.db,
                self.actor,
                self._tasks,
                marking=self.env.settings.protective_marking,
                changes=self._shift_changes(),
                parent=self,
            )
            self.handover_window.shown.connect(lambda _record: self._rota_changed())
            self.handover_window.call_requested.connect(self.open_call)
        else:
            self.handover_window.load_history()
        self.handover_window.show()
        self.handover_window.raise_()
        self.handover_window.activateWindow()
        return self.handover_window

    def show_database_dialog(self) -> None:
        from ui.views.database_dialog import DatabaseDialog

        self.database_dialog = DatabaseDialog(self.env.paths, self.env.settings, self._tasks, self)
        self.database_dialog.open()

    def _start_outage(self) -> None:
        if self.db.is_sqlite:
            return  # the local file has no network to lose
        from supportline.sync.journal import Journal
        from supportline.sync.local_store import local_file
        from ui.outage import Outage

        journal = Journal(local_file(self.env.paths.data_dir, training=self.db.training))
        self.outage = Outage(
            self.db, self.actor, journal, self._tasks, self.db.zone, self, local_drafts=self.local_drafts
        )
        self._outage_state(self.outage.banner)
        self.outage.state_changed.connect(self._outage_state)
        self.outage.pushed.connect(self._journal_pushed)
        self.outage.refused.connect(self._journal_refused)
        self.outage.conflicted.connect(self._journal_conflicted)
        self.outage.recovered.connect(self.calls_tab.refresh)  # what was missing is listed again
        self._tasks.database_unavailable.connect(self.outage.note_unavailable)
        for form in self.forms():
            form.outage = self.outage

    def _outage_state(self, text: str) -> None:
        self.outage_banner.setText(text)
        self.outage_banner.setVisible(bool(text))
        # The list on show says so too, while the database is away.
        self.calls_tab.set_incomplete(self.outage is not None and self.outage.since is not None)

    def _journal_settled(self, call_id: uuid.UUID) -> None:
        """A form saved a call whose journaled saves the database had refused: they are done."""
        outage = getattr(self, "outage", None)
        if outage is not None:
            outage.settle(call_id)

    def _journal_pushed(self, records: list[Any]) -> None:
        for record in records:
            form = self.form_for(record.id)
            if form is not None:
                form.adopt_pushed(record)
        self.calls_tab.refresh()

    def _journal_refused(self, entry: Any, error: Exception) -> None:
        form = self.form_for(entry.call_id)
        if form is not None:
            form.show_refusal(error)
        else:  # its form was closed, or the app restarted: open it on what the save held
            self._open_journaled(entry, lambda opened: opened.show_refusal(error))

    def _journal_conflicted(self, entry: Any, error: Any) -> None:
        theirs = getattr(error, "theirs", None)
        if theirs is None:
            return
        form = self.form_for(entry.call_id)
        if form is not None:
            form.show_conflict(theirs)
        else:
            self._open_journaled(entry, lambda opened: opened.show_conflict(theirs), record=theirs)

    def _open_journaled(self, entry: Any, then: Any, record: CallRecord | None = None) -> None:
        """A form for a refused journaled save (the latest one of its call: it holds the most)."""
        from ui.views.call_form import CallForm

        outage = self.outage
        latest = [e for e in outage.journal.entries(self.actor.user_id) if e.call_id == entry.call_id]
        newest = latest[-1] if latest else entry

        def open_on(stored: CallRecord | None) -> None:
            if self.form_for(entry.call_id) is not None:
                return
            form = CallForm(
                self.db, self.actor, self._tasks, self.db.zone, record=stored, library=self.guidance
            )
            form.take_over_journaled(newest)
            self._add_form(form)
            then(form)

        if record is not None or entry.expected_version is None:
            open_on(record)
            return
        db, actor = self.db, self.actor
        self._tasks.run(
            lambda: calls.get_call(db, actor, entry.call_id),
            on_success=open_on,
            on_failure=lambda exc: self._show_problem(
                self.tr("A call kept during the outage was not accepted"), exc
            ),
            owner=self,
        )

    def _saved_elsewhere(self, saved: dict[uuid.UUID, int] | None) -> None:
        """The list and an open read-only view follow; a form being edited only says so."""
        self.calls_tab.refresh()
        shown = self.calls_tab.detail.record
        if shown is not None and (saved is None or saved.get(shown.id, 0) > shown.version):
            self.calls_tab.show_call(shown.id)
        for form in self.forms():
            form.notice_saved_elsewhere(saved or {})

    def focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.calls_tab)
        self.calls_tab.focus_search()

    def clear_filters(self) -> None:
        self.tabs.setCurrentWidget(self.calls_tab)
        self.calls_tab.filters.clear()

    def step_tab(self, step: int) -> None:
        count = self.tabs.count()
        if count > 1:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % count)

    def _keep_calls_first(self, _from: int, _to: int) -> None:
        if self.tabs.indexOf(self.calls_tab) != 0:
            self.tabs.tabBar().moveTab(self.tabs.indexOf(self.calls_tab), 0)

    def _current_tab_changed(self, _index: int) -> None:
        form = self.current_form()
        on_form = form is not None
        if not self._locked:
            self.save_action.setEnabled(on_form)
            self.close_tab_action.setEnabled(on_form)
            self.open_call_action.setEnabled(not on_form)
            self.copy_call_action.setEnabled(not on_form)
        if form is not None:
            QTimer.singleShot(0, lambda: self._refocus(form))

    def _refocus(self, form: QWidget) -> None:
        focused = QApplication.focusWidget()
        if self.tabs.currentWidget() is form and (focused is None or not form.isAncestorOf(focused)):
            self._focus_first_field(form)

    # --- follow-ups and hand-offs (issue 14) ----------------------------------------------------

    def _add_follow_ups(self) -> None:
        """The Due panel (View ▸ Due panel, F9), its count in the status bar, its notifications,
        and Call ▸ Book a follow-up… (Ctrl+B) and Hand to duty adviser… (Ctrl+Shift+D), each only
        for a role that may."""
        from ui.icon import application_icon
        from ui.views.due_panel import DueNotifier, DuePanel, may

        actor = self.actor
        self.due_panel = DuePanel(self.db, actor, self._tasks, self.db.zone, lambda: self.clock(), self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.due_panel)
        self.due_panel.hide()  # until F9, or the person's own layout shows it
        self.due_panel.open_requested.connect(self.open_call)
        self.due_panel.follow_on_requested.connect(self._follow_on)
        self.due_panel.acted.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.due_label = QLabel()
        self.due_label.setAccessibleName(self.tr("Follow-ups due"))
        self.statusBar().insertPermanentWidget(0, self.due_label)
        self.due_panel.counts_changed.connect(self.due_label.setText)
        # Where the desktop has no tray: a notice across the window, above the tabs.
        self.due_notice = QLabel()
        self.due_notice.setObjectName("dueNotice")
        self.due_notice.setWordWrap(True)
        self.due_notice.setAccessibleName(self.tr("Follow-ups falling due"))
        self.due_notice.hide()
        layout = self.workspace.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(layout.indexOf(self.outage_banner) + 1, self.due_notice)
        self.due_notifier = DueNotifier(
            self.due_notice, application_icon(), locked=lambda: self._locked, parent=self
        )
        self.due_panel.fell_due.connect(self.due_notifier.notify)
        self.due_panel_action = self._action(
            self.tr("D&ue panel"),
            self.toggle_due_panel,
            "F9",
            tip=self.tr("Follow-ups overdue, due now and due soon, and calls handed to you (F9)"),
        )
        self.view_menu.insertAction(self.reset_layout_action, self.due_panel_action)
        self.book_follow_up_action: QAction | None = None
        self.hand_off_action: QAction | None = None
        self.call_menu.addSeparator()
        if may(actor, Action.FOLLOWUP_BOOK):
            self.book_follow_up_action = self._action(
                self.tr("Book a &follow-up…"),
                self.book_follow_up,
                "Ctrl+B",
                tip=self.tr("A callback, a referral to chase or a case to review on the call (Ctrl+B)"),
            )
            self.call_menu.addAction(self.book_follow_up_action)
        if may(actor, Action.CALL_HANDOFF):
            self.hand_off_action = self._action(
                self.tr("Hand to &duty adviser…"),
                self.hand_to_duty_adviser,
                "Ctrl+Shift+D",
                tip=self.tr("Hand the call to whoever is duty adviser for a route now (Ctrl+Shift+D)"),
            )
            self.call_menu.addAction(self.hand_off_action)
        self._due_was_visible = False
        self.locked_changed.connect(self._due_locked)
        self.restoreDockWidget(self.due_panel)  # the person's layout was restored before it existed

    def toggle_due_panel(self) -> None:
        """F9: show the Due panel and put the focus in it; F9 in it hides it again."""
        panel = self.due_panel
        if self._locked:
            return
        focused = QApplication.focusWidget()
        if panel.isVisible() and focused is not None and panel.isAncestorOf(focused):
            panel.hide()
            page = self.tabs.currentWidget()
            if page is self.calls_tab:
                self.calls_tab.table.setFocus()
            elif page is not None:
                self._focus_first_field(page)
            return
        panel.show()
        panel.raise_()
        self.due_notice.hide()
        panel.focus_list()

    def _due_locked(self, locked: bool) -> None:
        """Nothing of a call shows behind the lock: the panel hides, and comes back on unlock."""
        if locked:
            self._due_was_visible = self.due_panel.isVisible()
            self.due_panel.hide()
            self.due_notice.hide()
        elif self._due_was_visible:
            self.due_panel.show()

    def _call_for_follow_up(self, *, form_too: bool) -> tuple[uuid.UUID, str] | None:
        """The call an action is for: the saved call of the form on show (``form_too``), else the
        call selected in the list."""
        form = self.current_form()
        if form is not None:
            record = form.record() if form_too else None
            if record is None:
                self.statusBar().showMessage(
                    self.tr("Save the call first, or choose one in the Calls tab")
                    if form_too
                    else self.tr("In a call, tick 'Book a follow-up'; Ctrl+B books one on the list's call"),
                    8000,
                )
                return None
            return record.id, record.reference
        call_id = self.calls_tab.selected_call()
        row = self.model.row_of(call_id) if call_id is not None else None
        summary = self.model.summary(row) if row is not None else None
        if call_id is None or summary is None:
            self.statusBar().showMessage(self.tr("Select a call in the list first"), 5000)
            return None
        return call_id, summary.reference

    def book_follow_up(self) -> BookFollowUpDialog | None:
        """Ctrl+B: book a follow-up on the call selected in the list."""
        from ui.views.follow_up_dialogs import BookFollowUpDialog

        if self._locked or self.book_follow_up_action is None:
            return None
        found = self._call_for_follow_up(form_too=False)
        if found is None:
            return None
        dialog = BookFollowUpDialog(
            self.db, self.actor, self._tasks, self.db.zone, self.clock, *found, parent=self
        )
        dialog.booked.connect(self._follow_up_booked)
        self.follow_up_dialog: QDialog | None = dialog
        dialog.open()
        return dialog

    def _follow_up_booked(self, record: Any) -> None:
        when = fmt.when(record.due_at, self.db.zone)
        text = self.tr("%s: follow-up booked for %s") % (record.call_reference, when)
        self.statusBar().showMessage(text, 8000)
        self.due_panel.refresh()

    def hand_to_duty_adviser(self) -> HandOffDialog | None:
        """Ctrl+Shift+D: hand the call (the form's, once saved, or the list's) to a route's duty adviser."""
        from ui.views.follow_up_dialogs import HandOffDialog

        if self._locked or self.hand_off_action is None:
            return None
        found = self._call_for_follow_up(form_too=True)
        if found is None:
            return None
        dialog = HandOffDialog(self.db, self.actor, self._tasks, self.clock, *found, parent=self)
        dialog.handed.connect(
            lambda h: self.statusBar().showMessage(
                self.tr("%s handed to %s (%s)") % (h.call_reference, h.adviser_name, h.route.label), 8000
            )
        )
        self.follow_up_dialog = dialog
        dialog.open()
        return dialog

    def _follow_on(self, completed: Any) -> None:
        """A follow-up completed with "open a new call in this case": a new call, its caller
        filled from the call followed up and added to that call's case."""
        db, actor, call_id = self.db, self.actor, completed.call_id

        def opened(record: CallRecord) -> None:
            form = self.new_call()
            form.follow_on_from(record)

        self._tasks.run(
            lambda: calls.get_call(db, actor, call_id),
            on_success=opened,
            on_failure=lambda exc: self._show_problem(self.tr("The new call could not be started"), exc),
            owner=self,
        )

    def _follow_up_shortcuts(self) -> list[tuple[str, str]]:
        keys = [("F9", self.tr("The Due panel: follow-ups due and calls handed to you (F9 again hides it)"))]
        if getattr(self, "book_follow_up_action", None) is not None:
            keys.append(("Ctrl+B", self.tr("Book a follow-up on the selected call")))
        if getattr(self, "hand_off_action", None) is not None:
            keys.append(("Ctrl+Shift+D", self.tr("Hand the call to a route's duty adviser")))
        return keys

    # --- copies of calls (a disclosure: ui/copy_audit.py) --------------------------------------

    def copy_call(self) -> None:
        """Call ▸ Copy call: the call on show beside the list, as the pane shows it, put on the
        clipboard once its copy is recorded in the audit trail."""
        if self.copy_audit is None or self._locked or self.current_form() is not None:
            return
        detail = self.calls_tab.detail
        record = detail.record
        if record is None or record.id != self.calls_tab.selected_call():
            self.statusBar().showMessage(self.tr("Select a call first: the call on show is copied"), 5000)
            return
        text, reference = detail.toPlainText(), record.reference

        def copy() -> None:
            clipboard.copy(text)
            self.statusBar().showMessage(self.tr("%s copied (recorded in the audit log)") % reference, 5000)

        self.copy_audit.record(record.id, "copy call", then=copy)

    def call_copied_from(self, widget: QWidget) -> tuple[uuid.UUID, str] | None:
        """The call a copy in ``widget`` came from, and where (None: not from a call): its row
        in the list, the detail pane, its form (a new call's before its first save, too, by the
        id it will be saved under) or, in a form, the earlier call chosen. A dialog a form opened
        (its conflict view) belongs to the form."""
        forms = self.forms()
        current: QWidget | None = widget
        while current is not None:
            if current is self.calls_tab.detail:
                record = self.calls_tab.detail.record
                return (record.id, "detail pane") if record is not None else None
            if current is self.calls_tab.table:
                call_id = self.calls_tab.model.call_id(self.calls_tab.table.currentIndex().row())
                return (call_id, "call list") if call_id is not None else None
            for form in forms:
                if current is form.earlier:
                    earlier = form.earlier.selected()
                    return (earlier.id, "earlier calls") if earlier is not None else None
                if current is form:
                    return form.call_id(), "call form"
            current = current.parentWidget()
        return None

    def _copied_in(self, widget: object) -> None:
        if self.copy_audit is None or not isinstance(widget, QWidget) or not shiboken6.isValid(widget):
            return
        found = self.call_copied_from(widget)
        if found is not None:
            self.copy_audit.record(*found)

    # --- locking ----------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return self._locked

    def lock(self) -> None:
        """Hide everything behind the lock view; the forms keep their state (and drafts)."""
        if self._locked:
            return
        self._locked = True
        self.model.record_consultation()  # the search on show is audited before the screen goes
        self.flush_drafts()
        clipboard.clear_ours()  # personal data copied from the app does not wait on the clipboard
        if self.help_window is not None:
            self.help_window.close()
        if self.guidance_window is not None:
            self.guidance_window.close()
        if self.stats_window is not None:
            self.stats_window.close()
        if self.audit_window is not None:
            self.audit_window.close()
        if self.accounts_window is not None:
            self.accounts_window.close()
        if self.retention_window is not None:
            self.retention_window.close()  # a run goes on behind the lock; its result shows on reopening
        if self.erasure_window is not None:
            self.erasure_window.close()
        for window in (getattr(self, "rota_window", None), getattr(self, "handover_window", None)):
            if window is not None:
                window.close()  # issue 14: the rota and the handover hide behind the lock too
        if self.export_dialog is not None and self.export_dialog.isVisible():
            if self.export_dialog.running:
                self.export_dialog.hide()  # it finishes behind the lock and shows again on unlock
            else:
                self.export_dialog.reject()
        self._enabled_before = {action: action.isEnabled() for action in self.actions()}
        for action in self.actions():
            action.setEnabled(False)
        self.menuBar().hide()
        self.toolbar.hide()
        self.pages.setCurrentWidget(self.lock_view)
        self.setWindowTitle(self.tr("Supportline – locked"))
        self.lock_view.reset()
        self.locked_changed.emit(True)

    def unlock(self) -> None:
        if not self._locked:
            return
        self._locked = False
        for action, enabled in self._enabled_before.items():
            action.setEnabled(enabled)
        self.menuBar().show()
        self.toolbar.show()
        self.pages.setCurrentWidget(self.workspace)
        self.setWindowTitle(self.tr("Supportline – %s") % self.actor.display_name)
        self._last_input = time.monotonic()
        self._current_tab_changed(self.tabs.currentIndex())
        page = self.tabs.currentWidget()
        if page is self.calls_tab:
            self.calls_tab.table.setFocus()
        if self.export_dialog is not None and self.export_dialog.running and self.export_dialog.isHidden():
            self.export_dialog.show()
        self.locked_changed.emit(False)

    def set_idle_limit(self, milliseconds: int) -> None:
        """How long without input before the screen locks (settings give minutes; tests, less)."""
        self._idle_limit_ms = milliseconds
        self._idle_timer.setInterval(min(15_000, max(milliseconds // 4, 50)))
        self._last_input = time.monotonic()

    def check_idle(self) -> None:
        if not self._locked and (time.monotonic() - self._last_input) * 1000 >= self._idle_limit_ms:
            self.lock()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS:
            self._last_input = time.monotonic()
        return False

    # --- help, about, problems --------------------------------------------------------------

    def shortcuts(self) -> list[tuple[str, str]]:
        return [
            ("Ctrl+N", self.tr("New call, in its own tab")),
            ("Ctrl+S", self.tr("Save the call on show")),
            ("Ctrl+W", self.tr("Close the call's tab (asks if it has unsaved changes)")),
            ("Ctrl+F", self.tr("Search the calls")),
            ("Esc", self.tr("In the search box: empty it")),
            ("Enter", self.tr("On a call in the list: open it for editing")),
            ("Ctrl+Shift+C", self.tr("Copy the call on show beside the list (recorded in the audit log)")),
            ("Ctrl+Tab, Ctrl+PgDown", self.tr("Next tab")),
            ("Ctrl+Shift+Tab, Ctrl+PgUp", self.tr("Previous tab")),
            ("F5", self.tr("Load the list again")),
            ("Ctrl+L", self.tr("Lock the screen")),
            ("Ctrl+G", self.tr("The guidance library: browse and search the templates")),
            ("Ctrl+R", self.tr("In a call: fill the caller from the officer's earlier call")),
            ("Ctrl+K", self.tr("In a call: add it to the case of the officer's earlier call")),
            ("F6", self.tr("In a call: to the checklist of the guidance on show (Down/Up walk it)")),
            *(
                [("Ctrl+E", self.tr("Export the listed calls, or their figures, to a file"))]
                if self.export_action is not None
                else []
            ),
            *(
                [("Ctrl+Shift+T", self.tr("Statistics: figures and charts for a period"))]
                if self.stats_action is not None
                else []
            ),
            *(
                [("Ctrl+Shift+A", self.tr("Accounts: add, disable, unlock, reset passwords"))]
                if self.accounts_action is not None
                else []
            ),
            *(
                [("Ctrl+Shift+H", self.tr("Shift handover: write it, or acknowledge the one handed to you"))]
                if getattr(self, "handover_action", None) is not None
                else []
            ),
            ("Ctrl+F", self.tr("In a guidance pane: find in its text (F3 next, Shift+F3 previous)")),
            *self._follow_up_shortcuts(),
            ("F1", self.tr("This help")),
            ("Ctrl+Shift+Q", self.tr("Sign out and close (unsaved calls are kept as drafts)")),
            ("Ctrl+Q", self.tr("Quit (unsaved calls are kept as drafts)")),
        ]

    def show_export_dialog(self) -> ExportDialog | None:
        """The export dialog, its filters those of the call list (supervisors and admins)."""
        from ui.views.export_dialog import ExportDialog

        if self.export_action is None:
            return None
        if self.export_dialog is not None:
            if self.export_dialog.running:
                self.export_dialog.show()
                self.export_dialog.raise_()
                return self.export_dialog
            self.export_dialog.deleteLater()
        combo = self.calls_tab.filters.handler
        handlers = [(combo.itemData(i), combo.itemText(i)) for i in range(1, combo.count())]
        dialog = ExportDialog(
            self.db,
            self.actor,
            self._tasks,
            query=self.calls_tab.filters.query(),
            handlers=handlers,
            marking=self.env.settings.protective_marking,
            parent=self,
        )
        dialog.exported.connect(
            lambda result: self.statusBar().showMessage(
                self.tr("Exported to %s (recorded in the audit log)") % result.path, 10_000
            )
        )
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def show_statistics(self) -> StatsDashboard | None:
        """The statistics window (supervisors and admins); a bar's calls open in the list."""
        from ui.views.stats_dashboard import StatsDashboard

        if self.stats_action is None:
            return None
        if self.stats_window is None:
            self.stats_window = StatsDashboard(self.db, self.actor, self._tasks, parent=self)
            self.stats_window.calls_requested.connect(self.show_calls)
        else:
            self.stats_window.refresh()
        self.stats_window.show()
        self.stats_window.raise_()
        self.stats_window.activateWindow()
        return self.stats_window

    def show_audit_viewer(self) -> AuditViewer | None:
        """The audit viewer (supervisors and admins); a call's event opens the call here."""
        from ui.views.audit_viewer import AuditViewer

        if self.audit_action is None or self._locked:
            return None
        viewer = self.audit_window
        if viewer is None:
            viewer = self.audit_window = AuditViewer(self.db, self.actor, self._tasks, parent=self)
            viewer.record_requested.connect(self.open_call)
        else:
            viewer.refresh()
        viewer.show()
        viewer.raise_()
        viewer.activateWindow()
        return viewer

    def show_retention(self) -> RetentionDialog | None:
        """The retention review (administrators): due and kept records, erase after a confirm."""
        from ui.views.retention import RetentionDialog

        if self.retention_action is None or self._locked:
            return None
        if self.retention_window is None:
            self.retention_window = RetentionDialog(self.env, self.db, self.actor, self._tasks, parent=self)
        self.retention_window.show()
        self.retention_window.raise_()
        self.retention_window.refresh()
        return self.retention_window

    def show_erasure(self) -> ErasureDialog | None:
        """Erasure requests (supervisors and admins): request, and approve someone else's."""
        from ui.views.erasure import ErasureDialog

        if self.erasure_action is None or self._locked:
            return None
        if self.erasure_window is None:
            self.erasure_window = ErasureDialog(self.db, self.actor, self._tasks, parent=self)
        self.erasure_window.show()
        self.erasure_window.raise_()
        self.erasure_window.refresh()
        return self.erasure_window

    def show_calls(self, query: CallQuery) -> None:
        """Bring the window forward with the call list showing ``query``'s calls."""
        if self._locked:
            return
        self.tabs.setCurrentWidget(self.calls_tab)
        self.calls_tab.show_query(query)
        self.raise_()
        self.activateWindow()

    def refresh_guidance(self) -> None:
        """Reload the guidance folder on the runner if a file changed; tell admins of problems."""
        if self._guidance_busy:
            return
        self._guidance_busy = True
        self._tasks.run(
            self.guidance.refresh,
            on_success=self._guidance_checked,
            on_failure=lambda _exc: self._guidance_checked(False),
            owner=self,
        )

    def _guidance_checked(self, _changed: bool) -> None:
        self._guidance_busy = False
        self._show_guidance_problems()

    def _show_guidance_problems(self) -> None:
        if self._actor is None:
            return  # sign_in shows them
        problems = self.guidance.current().problems if self._actor.can(Permission.GUIDANCE_ADMIN) else ()
        if not problems:
            self.guidance_label.hide()
            return
        count = len(problems)
        self.guidance_label.setText(
            self.tr("Guidance: %d problem(s), see Help ▸ Guidance library (Ctrl+G)") % count
        )
        self.guidance_label.setToolTip("\n".join(str(p) for p in problems[:20]))
        self.guidance_label.show()

    def show_guidance_library(self) -> GuidanceLibraryWindow:
        if self.guidance_window is None:
            self.guidance_window = GuidanceLibraryWindow(self.guidance, self._tasks, self.actor, self)
        self.guidance_window.show()
        self.guidance_window.raise_()
        self.guidance_window.activateWindow()
        return self.guidance_window

    def help_topic(self) -> str:
        """F1's page for what is on screen: the call list, a call form, or its guidance pane."""
        form = self.current_form()
        if form is None:
            return "call-list"
        focus = QApplication.focusWidget()
        if focus is not None and form.guidance_section.isAncestorOf(focus):
            return "guidance-pane"
        return "call-form"

    def show_help(self) -> None:
        if self.help_window is None:
            self.help_window = HelpWindow(self.shortcuts(), self)
        self.help_window.show_topic(self.help_topic())
        self.help_window.show()
        self.help_window.raise_()
        self.help_window.activateWindow()

    def about_text(self) -> str:
        return self.tr(
            "<h3>Supportline %s</h3>"
            "<p>Call logging and guidance for the advice line serving officers working "
            "human-trafficking and modern-slavery cases.</p>"
            "<p>Database: %s<br>Times are shown in %s.</p>"
        ) % (supportline.__version__, self.db.describe(), self.db.zone.key)

    def show_about(self) -> None:
        QMessageBox.about(self, self.tr("About Supportline"), self.about_text())

    def _show_problem(self, title: str, exc: BaseException) -> None:
        self.statusBar().showMessage(f"{title}: {exc}", 10_000)

    def _tick(self) -> None:
        text = fmt.clock(datetime.now(UTC), self.db.zone)
        if text != self.clock_label.text():  # minutes, not seconds: a ticking second hand distracts
            self.clock_label.setText(text)

    # --- closing ----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask about unsaved forms (kept as drafts unless discarded), save the layout, and let
        work still running finish before the database goes away."""
        forms = self.forms()
        unsaved = [form for form in forms if form.has_unsaved_changes()]
        if unsaved and not self._locked and not self._signing_out:
            choice = self.ask_quit(len(unsaved))
            if choice == QuitChoice.CANCEL:
                event.ignore()
                return
            for form in unsaved:
                if choice == QuitChoice.DISCARD:
                    form.discard_draft()
                else:
                    form.flush_draft()
        else:
            for form in unsaved:  # locked (nobody to ask) or signing out (asked): the drafts are kept
                form.flush_draft()
        self.save_layout()
        if self.copy_audit is not None:  # copies still being recorded finish; no new ones
            clipboard.guard().copied.disconnect(self._copied_in)
            self.copy_audit = None
        clipboard.clear_ours()
        self._clock.stop()
        self._idle_timer.stop()
        if hasattr(self, "due_panel"):
            self.due_panel.stop()
        if hasattr(self, "live_updates"):
            self.live_updates.stop()
        for watcher in (getattr(self, "escalation", None), getattr(self, "operations_watch", None)):
            if watcher is not None:
                watcher.stop()  # issue 14
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        if self.help_window is not None:
            self.help_window.close()
        if self.guidance_window is not None:
            self.guidance_window.close()
        if self.stats_window is not None:
            self.stats_window.close()
        if self.accounts_window is not None:
            self.accounts_window.close()
        if self.export_dialog is not None and self.export_dialog.running:
            self.export_dialog.cancel_export()  # a half export never stays behind
            self.export_dialog.wait(10_000)
        self.model.record_consultation()  # a search on show, not yet settled, is audited still
        if self._actor is not None:
            # audited: the person signed out (File ▸ Sign out and close) or quit
            self.lock_view.record_sign_out("sign out" if self._signing_out else "quit")
        self._tasks.wait_until_idle(10_000)
        super().closeEvent(event)


def _theme(choice: str) -> str:
    """A theme the window knows (a stored choice from an older version falls back to the system's)."""
    return choice if choice in style.CHOICES else style.SYSTEM
