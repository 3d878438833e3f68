"""The main window: the Calls tab, status bar, menus and shortcuts, locking, layout and themes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

import supportline
from supportline.bootstrap import Environment
from supportline.db import Database
from supportline.db.models import AuditEvent
from supportline.enums import Role
from supportline.services import calls
from supportline.services.actor import Actor
from tests.factories import PASSWORD, full_call, make_user
from tests.ui.conftest import MANY, MakeWindow
from ui import style
from ui.main_window import HIDDEN_AT_FIRST, MainWindow
from ui.models.call_list import PLACEHOLDER, Column
from ui.tasks import TaskRunner


def test_lists_calls_newest_first_and_shows_the_selected_one(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    record = calls.save_call(sqlite_db, admin, full_call())
    window = make_window(sqlite_db, admin)
    tab = window.calls_tab
    assert window.tabs.widget(0) is tab and window.tabs.tabText(0) == "Calls"
    assert tab.list_pages.currentWidget() is tab.table
    assert window.model.rowCount() == 1
    assert window.model.index(0, Column.REFERENCE).data() == record.reference
    assert tab.count_label.text() == "Calls · 1 in total"

    with qtbot.waitSignal(tab.detail_shown, timeout=10_000):
        tab.table.selectRow(0)
    shown = tab.detail.toPlainText()
    assert tab.detail.record == record
    for expected in (
        record.reference,
        record.case_reference,
        "Sun 14 Jun 2026 03:17 BST",  # 02:17 UTC in summer
        "DS Morwenna Tregarthen",
        "Detective Sergeant",
        "07700 900417",
        "Urgent",
        "Closed",
        "Car wash workers living on site; passports held by the manager",
        "Interpreter requested.",
        "Person A",
        "Vietnam",
        "Vietnamese (interpreter needed)",
        "Albania, Greece",
        "Victim",
        "Children's services and police; NRM referral without consent.",
        "NRM referral advised",
        "Plymouth City Council",
        "Call back the DS",
    ):
        assert expected in shown, expected
    with sqlite_db.read() as session:  # opening a call is an audited consultation
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "call.view")).all() == [
            "call.view"
        ]


def test_the_detail_pane_shows_the_edit_history(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    import dataclasses

    record = calls.save_call(sqlite_db, admin, full_call())
    calls.save_call(
        sqlite_db,
        admin,
        dataclasses.replace(record.data, summary="Changed summary"),
        expected_version=record.version,
    )
    window = make_window(sqlite_db, admin)
    with qtbot.waitSignal(window.calls_tab.detail_shown, timeout=10_000):
        window.calls_tab.table.selectRow(0)
    detail = window.calls_tab.detail
    assert len(detail.history) == 2
    text = detail.toPlainText()
    assert "History" in text
    assert "Ada Admin" in text
    assert detail.history[0].action in text and detail.history[1].action in text


def test_text_from_callers_is_shown_as_text_not_markup(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    calls.save_call(sqlite_db, admin, full_call(summary="<b>not bold</b> & <a href='x'>no link</a>"))
    window = make_window(sqlite_db, admin)
    with qtbot.waitSignal(window.calls_tab.detail_shown, timeout=10_000):
        window.calls_tab.table.selectRow(0)
    assert "<b>not bold</b> & <a href='x'>no link</a>" in window.calls_tab.detail.toPlainText()


def test_status_bar_names_the_user_role_database_and_time(
    sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    assert window.user_label.text() == "Signed in as Ada Admin (Administrator)"
    assert window.database_label.toolTip() == sqlite_db.describe()
    assert window.database_label.text().startswith("SQLite ")
    assert window.database_label.text().endswith(".db")  # a long path loses its middle, not the file
    assert window.clock_label.text().endswith(("GMT", "BST"))
    assert window.user_label.isVisible() and window.clock_label.isVisible()


def test_an_empty_database_shows_a_friendly_empty_state(
    sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    tab = window.calls_tab
    assert tab.list_pages.currentWidget() is tab.empty_state
    assert tab.empty_title.text() == "No calls yet"
    assert tab.empty_title.isVisible()


def test_refresh_picks_up_new_calls_and_keeps_column_choices(
    qtbot: QtBot,
    sqlite_db: Database,
    admin: Actor,
    add_calls: Callable[[int], list[str]],
    make_window: MakeWindow,
) -> None:
    window = make_window(sqlite_db, admin)
    assert window.model.is_empty
    add_calls(3)
    with qtbot.waitSignal(window.list_ready, timeout=10_000):
        QTest.keyClick(window, Qt.Key.Key_F5)
    assert window.model.rowCount() == 3
    assert window.calls_tab.list_pages.currentWidget() is window.calls_tab.table
    assert all(window.calls_tab.table.isColumnHidden(c) for c in HIDDEN_AT_FIRST)
    assert not window.calls_tab.table.isColumnHidden(Column.SUMMARY)


def test_scrolling_to_the_bottom_fetches_the_last_page(
    qtbot: QtBot, many_calls_db: tuple[Database, Actor], make_window: MakeWindow
) -> None:
    db, actor = many_calls_db
    window = make_window(db, actor)
    assert window.model.rowCount() == MANY
    assert window.calls_tab.count_label.text() == f"Calls · {MANY} in total"
    window.calls_tab.table.scrollToBottom()
    qtbot.waitUntil(lambda: window.model.index(MANY - 1, 0).data() != PLACEHOLDER, timeout=10_000)
    assert window.model.index(MANY - 1, Column.SUMMARY).data().startswith(f"Call {MANY - 1}:")


def test_menus_and_shortcuts(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Call", "&View", "&Help"]
    assert window.accounts_action in window.file_menu.actions()  # admins only
    keys = {
        window.accounts_action: ["Ctrl+Shift+A"],
        window.new_call_action: ["Ctrl+N"],
        window.close_tab_action: ["Ctrl+W"],
        window.find_action: ["Ctrl+F"],
        window.lock_action: ["Ctrl+L"],
        window.help_action: ["F1"],
        window.refresh_action: ["F5"],
        window.quit_action: ["Ctrl+Q"],
        window.next_tab_action: ["Ctrl+Tab", "Ctrl+PgDown"],
        window.previous_tab_action: ["Ctrl+Shift+Tab", "Ctrl+PgUp"],
    }
    for action, expected in keys.items():
        assert [s.toString() for s in action.shortcuts()] == expected, action.text()
    # Ctrl+S is shown in the menu but is the form's: no window-wide Ctrl+S to make it ambiguous.
    assert window.save_action.shortcut().toString() == "Ctrl+S"
    assert window.save_action.shortcutContext() == Qt.ShortcutContext.WidgetShortcut
    window_wide = [
        a for a in window.findChildren(type(window.save_action))
        if a.shortcutContext() != Qt.ShortcutContext.WidgetShortcut
        and QKeySequence("Ctrl+S") in a.shortcuts()
    ]  # fmt: skip
    assert window_wide == []
    # With only the Calls tab, there is nothing to save or close.
    assert not window.save_action.isEnabled() and not window.close_tab_action.isEnabled()
    assert window.toolbar.isVisible()
    assert [a.iconText() for a in window.toolbar.actions() if not a.isSeparator()] == [
        "New call", "Save call", "Close tab", "Search", "Refresh list", "Lock screen", "Help",
    ]  # fmt: skip

    window.calls_tab.table.setFocus()
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.calls_tab.filters.search

    QTest.keyClick(window, Qt.Key.Key_F1)
    assert window.help_window is not None
    qtbot.waitUntil(window.help_window.isVisible, timeout=2000)
    text = window.help_window.text()
    for expected in ("Ctrl+N", "Ctrl+S", "Ctrl+L", "Ctrl+F", "Detail pane", "Search and filters"):
        assert expected in text
    window.help_window.close()


def test_ctrl_l_locks_and_only_the_users_password_unlocks(
    qtbot: QtBot,
    sqlite_db: Database,
    admin: Actor,
    add_calls: Callable[[int], list[str]],
    make_window: MakeWindow,
) -> None:
    add_calls(2)
    window = make_window(sqlite_db, admin)
    window.activateWindow()
    QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.locked
    assert window.pages.currentWidget() is window.lock_view
    assert not window.tabs.isVisible() and not window.menuBar().isVisible() and not window.toolbar.isVisible()
    assert not window.new_call_action.isEnabled()  # no shortcut reaches the hidden content
    assert window.windowTitle() == "Supportline – locked"

    lock = window.lock_view
    lock.password.setText("not the password")
    with qtbot.waitSignal(lock.refused, timeout=10_000):
        QTest.keyClick(lock.password, Qt.Key.Key_Return)
    assert window.locked and lock.message.text() == "Wrong user name or password"
    lock.password.setText(PASSWORD)
    with qtbot.waitSignal(lock.unlocked, timeout=10_000):
        lock.unlock_button.click()
    assert not window.locked
    assert window.tabs.isVisible() and window.menuBar().isVisible()
    assert window.new_call_action.isEnabled()
    assert window.windowTitle() == "Supportline – Ada Admin"


def test_the_screen_locks_itself_after_the_idle_time(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, env: Environment, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    assert env.settings.idle_lock_minutes == 10
    assert window._idle_limit_ms == 10 * 60_000
    window.set_idle_limit(300)
    with qtbot.waitSignal(window.locked_changed, timeout=5000) as locked:
        pass
    assert locked.args == [True] and window.locked


def test_layout_is_remembered_per_user(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow, env: Environment
) -> None:
    operator = make_user(sqlite_db, admin, "olu.operator", Role.OPERATOR)
    first = make_window(sqlite_db, admin)
    table = first.calls_tab.table
    table.setColumnHidden(Column.STATUS, True)
    table.setColumnHidden(Column.HANDLER, False)
    table.setColumnWidth(Column.CALLER, 311)
    table.horizontalHeader().moveSection(table.horizontalHeader().visualIndex(Column.SUMMARY), 0)
    with qtbot.waitSignal(first.list_ready, timeout=10_000):
        table.horizontalHeader().setSortIndicator(Column.CALLER, Qt.SortOrder.AscendingOrder)
    first.calls_tab.splitter.setSizes([700, 600])
    sizes = first.calls_tab.splitter.sizes()
    first.close()

    other = make_window(sqlite_db, operator)  # someone else at the same workstation: defaults
    other_table = other.calls_tab.table
    assert other_table.isColumnHidden(Column.HANDLER) and not other_table.isColumnHidden(Column.STATUS)
    assert other_table.horizontalHeader().visualIndex(Column.SUMMARY) == Column.SUMMARY
    assert other.model.query.sort.value == "opened" and other.model.query.descending
    other.close()

    again = make_window(sqlite_db, admin)
    table = again.calls_tab.table
    assert table.isColumnHidden(Column.STATUS) and not table.isColumnHidden(Column.HANDLER)
    assert table.columnWidth(Column.CALLER) == 311
    assert table.horizontalHeader().visualIndex(Column.SUMMARY) == 0
    assert table.horizontalHeader().sortIndicatorSection() == Column.CALLER
    assert again.model.query.sort.value == "caller" and not again.model.query.descending
    assert again.calls_tab.splitter.sizes() == sizes
    stored = (env.paths.config_dir / "workspace.ini").read_text()
    assert "[ada.admin]" in stored and "[olu.operator]" in stored
    assert "Tregarthen" not in stored and "SL-" not in stored  # layout only, nothing from a call


def test_columns_that_cannot_be_sorted_keep_the_sort(
    qtbot: QtBot, many_calls_db: tuple[Database, Actor], make_window: MakeWindow
) -> None:
    db, actor = many_calls_db
    window = make_window(db, actor)
    header = window.calls_tab.table.horizontalHeader()
    before = window.model.query
    header.setSortIndicator(Column.SUMMARY, Qt.SortOrder.AscendingOrder)
    assert header.sortIndicatorSection() == window.model.sort_column()
    assert window.model.query == before and not window.model.loading


def test_theme_switch_is_dark_and_remembered_for_the_user(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    operator = make_user(sqlite_db, admin, "olu.operator", Role.OPERATOR)
    window = make_window(sqlite_db, admin)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert window.theme_actions[style.SYSTEM].isChecked()
    window.theme_actions[style.DARK].trigger()
    window_colour = app.palette().color(QPalette.ColorRole.Window)
    text_colour = app.palette().color(QPalette.ColorRole.Text)
    assert window_colour.name() == style.DARK_THEME.window
    assert window_colour.lightness() < 60 and window_colour != Qt.GlobalColor.black  # calm, not black
    assert text_colour.lightness() > 180
    assert style.current() is style.DARK_THEME
    assert style.DARK_THEME.muted in window.calls_tab.detail.toHtml()  # rich text follows the theme
    window.close()

    other = make_window(sqlite_db, operator)  # the operator never chose: the default (light here)
    assert app.palette().color(QPalette.ColorRole.Window).name() == style.LIGHT_THEME.window
    other.close()
    again = make_window(sqlite_db, admin)
    assert again.theme_actions[style.DARK].isChecked()
    assert app.palette().color(QPalette.ColorRole.Window).name() == style.DARK_THEME.window


def test_about_names_the_version(sqlite_db: Database, admin: Actor, make_window: MakeWindow) -> None:
    window = make_window(sqlite_db, admin)
    assert f"Supportline {supportline.__version__}" in window.about_text()
    assert "Europe/London" in window.about_text()


# --- call forms in tabs --------------------------------------------------------------------------


def _drafts_of(db: Database, actor: Actor) -> list[str]:
    from supportline.services import drafts

    return [d.title for d in drafts.list_drafts(db, actor)]


def test_ctrl_n_opens_a_form_tab_with_the_focus_in_its_first_field(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(sqlite_db, admin)
    window.activateWindow()
    with qtbot.waitSignal(window.form_opened, timeout=5000) as opened:
        QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = opened.args[0]
    assert window.tabs.count() == 2 and window.tabs.currentWidget() is form
    assert window.tabs.tabText(1).startswith("New call ")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is form.caller.name, timeout=2000)
    assert window.save_action.isEnabled() and window.close_tab_action.isEnabled()

    QTest.keyClicks(form.caller.name, "DS Morwenna Tregarthen")
    assert form.has_unsaved_changes()
    assert window.tabs.tabText(1).startswith("● New call ")

    # Ctrl+Tab and Ctrl+PgDown step between the tabs, round and round.
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0
    QTest.keyClick(window.calls_tab.table, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is form

    # Ctrl+W on unsaved changes asks; Cancel keeps the form, Discard drops it and its draft.
    asked: list[str] = []
    answers = iter(["cancel", "discard"])
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self, title: asked.append(title) or next(answers))
    QTest.keyClick(form.caller.name, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert asked == [form.title()] and window.tabs.count() == 2
    form.flush_draft()
    window._tasks.wait_until_idle()
    assert _drafts_of(sqlite_db, admin) == [form.title()]
    QTest.keyClick(form.caller.name, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.count() == 1 and window.tabs.currentWidget() is window.calls_tab
    window._tasks.wait_until_idle()
    assert _drafts_of(sqlite_db, admin) == []


def test_enter_on_a_row_opens_the_call_for_editing_once(
    qtbot: QtBot,
    sqlite_db: Database,
    admin: Actor,
    add_calls: Callable[[int], list[str]],
    make_window: MakeWindow,
) -> None:
    references = add_calls(3)
    window = make_window(sqlite_db, admin)
    table = window.calls_tab.table
    table.setFocus()
    table.selectRow(1)
    with qtbot.waitSignal(window.form_opened, timeout=10_000) as opened:
        QTest.keyClick(table, Qt.Key.Key_Return)
    form = opened.args[0]
    assert window.tabs.tabText(1) == references[1] == form.title()
    assert form.record() is not None and form.record().reference == references[1]

    window.tabs.setCurrentIndex(0)
    table.setFocus()
    QTest.keyClick(table, Qt.Key.Key_Return)  # already open: the tab comes forward, no second one
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is form, timeout=5000)
    window._tasks.wait_until_idle()
    assert window.tabs.count() == 2

    # An edit saved with Ctrl+S (the form's own shortcut) refreshes the list and clears the mark.
    form.call.summary.setFocus()
    form.call.summary.selectAll()
    QTest.keyClicks(form.call.summary, "Now a hand car wash in Leeds")
    assert window.tabs.tabText(1).startswith("● ")
    with qtbot.waitSignal(window.list_ready, timeout=10_000):
        QTest.keyClick(form.call.summary, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.tabText(1) == references[1]
    assert window.model.index(1, Column.SUMMARY).data() == "Now a hand car wash in Leeds"


def test_closing_with_save_closes_once_saved(
    qtbot: QtBot,
    sqlite_db: Database,
    admin: Actor,
    add_calls: Callable[[int], list[str]],
    make_window: MakeWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_calls(1)
    window = make_window(sqlite_db, admin)
    window.calls_tab.table.selectRow(0)
    with qtbot.waitSignal(window.form_opened, timeout=10_000) as opened:
        window.open_call_action.trigger()
    form = opened.args[0]
    form.call.summary.setText("Edited before closing")
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self, title: "save")
    with qtbot.waitSignal(form.saved, timeout=10_000):
        window.close_tab_action.trigger()
    qtbot.waitUntil(lambda: window.tabs.count() == 1, timeout=5000)
    assert (
        calls.get_call(sqlite_db, admin, form.call_id(), audit_view=False).data.summary
        == "Edited before closing"
    )


def test_quitting_with_unsaved_forms_asks_and_keeps_drafts(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(sqlite_db, admin)
    form = window.new_call()
    form.caller.name.setText("PC Gethin Morcambe")
    answers = iter(["cancel", "keep"])
    asked: list[int] = []
    monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: asked.append(count) or next(answers))
    assert not window.close()  # Cancel: still open
    assert window.isVisible() and asked == [1]
    assert window.close()  # Keep drafts and quit: the draft is written before the window goes
    assert asked == [1, 1]
    assert _drafts_of(sqlite_db, admin) == [form.title()]


def test_a_complete_call_from_ctrl_n_to_saved_with_the_keyboard_alone(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    """The operator's whole path: Ctrl+N in the call list, every section typed, Ctrl+S; the row
    is in the database and the list shows it."""
    from tests.ui.test_call_form import assert_complete_call_stored, log_complete_call_by_keyboard

    window = make_window(sqlite_db, admin)
    window.activateWindow()
    window.calls_tab.table.setFocus()
    with qtbot.waitSignal(window.form_opened, timeout=5000) as opened:
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = opened.args[0]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is form.caller.name, timeout=2000)

    log_complete_call_by_keyboard(form)
    with qtbot.waitSignal(form.saved, timeout=15_000) as saved:
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    record = saved.args[0]
    window._tasks.wait_until_idle()

    assert_complete_call_stored(calls.get_call(sqlite_db, admin, record.id).data)
    assert window.tabs.tabText(window.tabs.currentIndex()) == record.reference
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: window.model.index(0, 0).data() == record.reference, timeout=10_000)


def test_the_list_starts_loading_first_at_sign_in_and_is_counted_once(
    qtbot: QtBot,
    sqlite_db: Database,
    admin: Actor,
    make_window: MakeWindow,
    add_calls: Callable[[int], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_calls(3)
    asked: list[str] = []
    count = calls.count_calls

    def counting(db: Database, actor: Actor, query: object) -> int:
        asked.append("count")
        return count(db, actor, query)  # type: ignore[arg-type]

    loading: list[bool] = []
    monkeypatch.setattr(calls, "count_calls", counting)
    monkeypatch.setattr(MainWindow, "_restore_layout", _noting(MainWindow._restore_layout, loading))
    window = make_window(sqlite_db, admin)
    assert loading == [True]  # asked for before the rest of the sign-in's work
    assert asked == ["count"]  # and the Calls tab's start did not ask again for the same query
    assert window.model.rowCount() == 3


def _noting(method: Callable[..., None], loading: list[bool]) -> Callable[..., None]:
    def wrapped(window: MainWindow) -> None:
        loading.append(window.model.loading)
        method(window)

    return wrapped


def test_a_window_built_before_anyone_signs_in_holds_nothing_until_sign_in(
    qtbot: QtBot,
    sqlite_db: Database,
    admin: Actor,
    env: Environment,
    tasks: TaskRunner,
    add_calls: Callable[[int], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The start-up builds the window while the person types: nobody's, with no call data."""
    add_calls(2)
    supervisor = make_user(sqlite_db, admin, "sam.supervisor", Role.SUPERVISOR)
    asked: list[str] = []
    count = calls.count_calls
    monkeypatch.setattr(
        calls, "count_calls", lambda db, actor, q: asked.append(actor.username) or count(db, actor, q)
    )
    window = MainWindow(env, sqlite_db, None, tasks=tasks)
    qtbot.addWidget(window)
    tasks.wait_until_idle()
    assert asked == [] and not window.model.loaded_once and window.model.rowCount() == 0
    assert window.windowTitle() == "Supportline" and window.user_label.text() == ""
    assert window.export_action is None and window.stats_action is None
    assert window.calls_tab.filters.handler.itemData(1) is None
    with pytest.raises(RuntimeError, match="nobody has signed in"):
        _ = window.actor
    with pytest.raises(RuntimeError, match="nobody has signed in to the call list"):
        window.model.refresh()  # nothing can load for nobody
    window.save_layout()  # nobody's layout: nothing written
    assert not (env.paths.config_dir / "workspace.ini").exists()

    window.sign_in(supervisor)
    window.resize(1366, 768)
    window.show()
    qtbot.waitUntil(lambda: window.model.loaded_once, timeout=10_000)
    assert asked[0] == "sam.supervisor" and window.model.rowCount() == 2
    assert window.windowTitle() == "Supportline – Sam Supervisor"
    assert window.user_label.text() == "Signed in as Sam Supervisor (Supervisor)"
    assert window.calls_tab.filters.handler.itemText(1) == "Me (Sam Supervisor)"
    assert window.calls_tab.filters.handler.itemData(1) == supervisor.user_id
    # The permitted actions, with their keys, in their places in the menus.
    assert window.export_action is not None and window.stats_action is not None
    assert window.export_action.shortcut() == QKeySequence("Ctrl+E")
    file_items = [a.text() for a in window.file_menu.actions()]
    assert file_items.index("&Export calls…") == file_items.index("&Lock screen") - 2  # separated
    view_items = [a.text() for a in window.view_menu.actions()]
    assert view_items.index("&Statistics") < view_items.index("Ne&xt tab")
    with pytest.raises(RuntimeError, match="already belongs"):
        window.sign_in(admin)
    window.close()


def test_applying_the_theme_already_in_place_restyles_nothing(qapp: QApplication) -> None:
    style.apply(qapp, style.DARK)
    fusion = qapp.style()
    sheet = qapp.styleSheet()
    assert style.apply(qapp, style.DARK) is style.DARK_THEME
    assert qapp.style() is fusion and qapp.styleSheet() == sheet  # no new style, no restyling
    style.apply(qapp, style.LIGHT)
    assert qapp.style() is not fusion and qapp.styleSheet() != sheet
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == style.LIGHT_THEME.window
