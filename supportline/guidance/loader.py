"""Reading and checking a folder of guidance templates.

Nothing here raises for bad content: every problem is a :class:`Problem` naming the file and the
line (``victim.md:12: unknown key 'titel'``); a broken file is skipped and the others load. The
same checks run in ``supportline guidance check``, the self-test and the application.
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from supportline.config import Settings
from supportline.enums import Route
from supportline.guidance.model import (
    BOOLEAN_FACTS,
    SET_FACTS,
    ChecklistItem,
    Condition,
    Rule,
    Template,
    content_hash,
)
from supportline.resources import resource_path

FENCE: Final = "+++"
README: Final = "readme.md"  # compared in lower case: the folder's own explanation, not a template
ID_PATTERN: Final = re.compile(r"[a-z0-9-]+")
TOP_KEYS: Final = (
    "id",
    "route",
    "title",
    "version",
    "reviewed",
    "sources",
    "sample",
    "parent",
    "checklist",
    "when",
)
CHECKLIST_KEYS: Final = ("id", "text", "required")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_KEY_LINE = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")
_ROUTES = ", ".join(r.value for r in Route)


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class GuidanceSet:
    templates: tuple[Template, ...] = ()
    problems: tuple[Problem, ...] = ()

    def get(self, template_id: str) -> Template | None:
        return next((t for t in self.templates if t.id == template_id), None)

    def for_route(self, route: Route) -> tuple[Template, ...]:
        return tuple(t for t in self.templates if t.route == route)


# --- where the templates are ---------------------------------------------------------------------


def shipped_guidance_dir() -> Path:
    """The sample templates shipped with the program."""
    return resource_path("guidance")


def configured_dir(settings: Settings) -> Path:
    """The folder the settings name (``guidance_dir``), or the shipped samples when empty."""
    if settings.guidance_dir.strip():
        return Path(settings.guidance_dir.strip()).expanduser()
    return shipped_guidance_dir()


# --- one file --------------------------------------------------------------------------------------


class _Lines:
    """Where keys sit in the front matter, for line numbers in messages.

    A plain scan: ``key =`` lines, in blocks started by ``[[checklist]]`` / ``[[when]]`` headers.
    """

    def __init__(self, front: list[str], first_line: int) -> None:
        self.first_line = first_line
        self.keys: dict[tuple[str, int, str], int] = {}
        self.headers: dict[tuple[str, int], int] = {}
        block, index = "", 0
        counters: dict[str, int] = {}
        for offset, raw in enumerate(front):
            line = first_line + offset
            stripped = raw.strip()
            if stripped.startswith("[["):
                name = stripped.strip("[] \t").split("#")[0].strip().strip("[] ")
                index = counters.get(name, 0)
                counters[name] = index + 1
                block = name
                self.headers[(block, index)] = line
                continue
            if stripped.startswith("["):
                block, index = stripped.strip("[] "), 0
                continue
            match = _KEY_LINE.match(raw)
            if match:
                key = match.group(1).strip("\"'")
                self.keys.setdefault((block, index, key), line)

    def top(self, key: str) -> int:
        return self.keys.get(("", 0, key), self.first_line)

    def item(self, block: str, index: int, key: str | None = None) -> int:
        header = self.headers.get((block, index))
        if key is not None and (block, index, key) in self.keys:
            return self.keys[(block, index, key)]
        if header is not None:
            return header
        return self.top(block)


class _FileChecker:
    def __init__(self, path: Path, lines: _Lines) -> None:
        self.path = path
        self.lines = lines
        self.problems: list[Problem] = []

    def fail(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime):
        return "a date and time"
    if isinstance(value, date):
        return "a date"
    return type(value).__name__


def split_front_matter(text: str) -> tuple[list[str], int, str] | str:
    """(front matter lines, line number of the first of them, body), or the problem as text."""
    lines = text.split("\n")
    if not lines or lines[0].lstrip("\ufeff").rstrip("\r").strip() != FENCE:
        return f"missing front matter: the first line must be {FENCE}"
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r").strip() == FENCE:
            front = [line.rstrip("\r") for line in lines[1:i]]
            return front, 2, "\n".join(lines[i + 1 :])
    return f"the front matter is not closed: no second {FENCE} line"


def parse_text(text: str, path: Path) -> tuple[Template | None, tuple[Problem, ...]]:
    """One template from a file's text; ``None`` and the problems when it is not valid.

    Checks that need the other templates (duplicate ids, parents) are :func:`load_folder`'s.
    """
    split = split_front_matter(text)
    if isinstance(split, str):
        return None, (Problem(path, 1, split),)
    front, first_line, body = split
    try:
        data = tomllib.loads("\n".join(front))
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = first_line
        found = _TOML_POSITION.search(message)
        if found:
            line = first_line + int(found.group(1)) - 1
            message = message[: found.start()]
        return None, (Problem(path, line, f"bad TOML: {message}"),)
    lines = _Lines(front, first_line)
    c = _FileChecker(path, lines)

    for key in data:
        if key not in TOP_KEYS:
            c.fail(lines.top(key), f"unknown key {key!r} (expected: {', '.join(TOP_KEYS)})")

    def text_key(key: str, *, required: bool = True) -> str | None:
        if key not in data:
            if required:
                c.fail(first_line, f"missing key {key!r}")
            return None
        value = data[key]
        if not isinstance(value, str):
            c.fail(lines.top(key), f"{key!r} must be text in quotes, not {_describe(value)}")
            return None
        if not value.strip():
            c.fail(lines.top(key), f"{key!r} must not be empty")
            return None
        return value

    template_id = text_key("id")
    if template_id is not None and not ID_PATTERN.fullmatch(template_id):
        c.fail(lines.top("id"), f"id {template_id!r} may hold only a-z, 0-9 and '-'")

    route: Route | None = None
    route_text = text_key("route")
    if route_text is not None:
        try:
            route = Route(route_text)
        except ValueError:
            c.fail(lines.top("route"), f"unknown route {route_text!r} (expected one of: {_ROUTES})")

    title = text_key("title")
    version = text_key("version")

    reviewed: date | None = None
    if "reviewed" not in data:
        c.fail(first_line, "missing key 'reviewed' (the date it was last reviewed, e.g. 2026-11-29)")
    else:
        value = data["reviewed"]
        if isinstance(value, date) and not isinstance(value, datetime):
            reviewed = value
        else:
            c.fail(
                lines.top("reviewed"), f"'reviewed' must be a date like 2026-11-29, not {_describe(value)}"
            )

    sources: tuple[str, ...] = ()
    if "sources" not in data:
        c.fail(first_line, "missing key 'sources' (the public sources the guidance rests on)")
    else:
        value = data["sources"]
        if not isinstance(value, list) or not value:
            c.fail(lines.top("sources"), "'sources' must be a non-empty list of text")
        elif not all(isinstance(s, str) and s.strip() for s in value):
            c.fail(lines.top("sources"), "every source must be non-empty text")
        else:
            sources = tuple(value)

    sample = False
    if "sample" not in data:
        c.fail(first_line, "missing key 'sample' (true for sample content, false for approved text)")
    elif not isinstance(data["sample"], bool):
        c.fail(lines.top("sample"), f"'sample' must be true or false, not {_describe(data['sample'])}")
    else:
        sample = data["sample"]

    parent = text_key("parent", required=False)
    if parent is not None and parent == template_id:
        c.fail(lines.top("parent"), "a template cannot be its own parent")

    checklist = _checklist(c, data)
    rules = _rules(c, data)

    if c.problems or template_id is None or route is None or title is None or version is None:
        return None, tuple(c.problems)
    assert reviewed is not None
    return (
        Template(
            id=template_id,
            route=route,
            title=title,
            version=version,
            reviewed=reviewed,
            sources=sources,
            sample=sample,
            parent=parent,
            checklist=checklist,
            rules=rules,
            body=body,
            path=path,
            text=text,
            content_hash=content_hash(text),
        ),
        (),
    )


def _tables(c: _FileChecker, data: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        c.fail(c.lines.top(key), f"{key!r} must be written as [[{key}]] tables")
        return []
    return list(enumerate(value))


def _checklist(c: _FileChecker, data: dict[str, Any]) -> tuple[ChecklistItem, ...]:
    lines = c.lines
    if "checklist" not in data:
        c.fail(lines.first_line, "no [[checklist]] items: a template needs at least one")
        return ()
    items: list[ChecklistItem] = []
    seen: dict[str, int] = {}
    tables = _tables(c, data, "checklist")
    if not tables and isinstance(data.get("checklist"), list):
        c.fail(lines.top("checklist"), "no [[checklist]] items: a template needs at least one")
    for i, table in tables:
        where = f"[[checklist]] item {i + 1}"
        for key in table:
            if key not in CHECKLIST_KEYS:
                c.fail(
                    lines.item("checklist", i, key),
                    f"unknown key {key!r} in {where} (expected: id, text, required)",
                )
        item_id = table.get("id")
        if not isinstance(item_id, str) or not ID_PATTERN.fullmatch(item_id):
            c.fail(lines.item("checklist", i, "id"), f"{where} needs an id of a-z, 0-9 and '-'")
            item_id = None
        elif item_id in seen:
            c.fail(
                lines.item("checklist", i, "id"),
                f"duplicate checklist id {item_id!r} (also item {seen[item_id] + 1})",
            )
        else:
            seen[item_id] = i
        text = table.get("text")
        if not isinstance(text, str) or not text.strip():
            c.fail(lines.item("checklist", i, "text"), f"{where} needs a non-empty 'text'")
            text = None
        required = table.get("required", False)
        if not isinstance(required, bool):
            c.fail(lines.item("checklist", i, "required"), f"'required' in {where} must be true or false")
            required = False
        if item_id is not None and text is not None:
            items.append(ChecklistItem(id=item_id, text=text.strip(), required=required))
    return tuple(items)


def _rules(c: _FileChecker, data: dict[str, Any]) -> tuple[Rule, ...]:
    lines = c.lines
    rules: list[Rule] = []
    for i, table in _tables(c, data, "when"):
        where = f"[[when]] rule {i + 1}"
        reason = table.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            c.fail(lines.item("when", i, "reason"), f"{where} needs a non-empty 'reason'")
            reason = None
        conditions: list[Condition] = []
        for key, value in table.items():
            if key == "reason":
                continue
            line = lines.item("when", i, key)
            if key in BOOLEAN_FACTS:
                if not isinstance(value, bool):
                    c.fail(line, f"{key!r} in {where} must be true or false, not {_describe(value)}")
                    continue
                conditions.append(Condition(key, value))
            elif key in SET_FACTS:
                enum_cls = SET_FACTS[key]
                allowed = [m.value for m in enum_cls]
                if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                    c.fail(line, f"{key!r} in {where} must be a non-empty list of values in quotes")
                    continue
                unknown = [v for v in value if v not in allowed]
                for v in unknown:
                    c.fail(line, f"unknown value {v!r} for {key!r} (expected one of: {', '.join(allowed)})")
                if not unknown:
                    conditions.append(Condition(key, frozenset(value)))
            else:
                known = ", ".join((*BOOLEAN_FACTS, *SET_FACTS))
                c.fail(line, f"unknown fact {key!r} in {where} (known facts: {known})")
        if not any(key != "reason" for key in table):
            c.fail(lines.item("when", i), f"{where} has no conditions (use always = true for a default)")
        if reason is not None:
            rules.append(Rule(reason=reason.strip(), conditions=tuple(conditions)))
    return tuple(rules)


def parse_file(path: Path) -> tuple[Template | None, tuple[Problem, ...]]:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, (Problem(path, 1, f"not UTF-8 text ({exc.reason} at byte {exc.start})"),)
    except OSError as exc:
        return None, (Problem(path, 1, f"cannot be read: {exc.strerror or exc}"),)
    return parse_text(text, path)


# --- a folder --------------------------------------------------------------------------------------


def template_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.md") if p.name.lower() != README and p.is_file())


def _id_line(template: Template) -> int:
    split = split_front_matter(template.text)
    if isinstance(split, str):
        return 1
    return _Lines(split[0], split[1]).top("id")


def _parent_line(template: Template) -> int:
    split = split_front_matter(template.text)
    if isinstance(split, str):
        return 1
    return _Lines(split[0], split[1]).top("parent")


def check_templates(templates: Iterable[Template]) -> tuple[tuple[Template, ...], tuple[Problem, ...]]:
    """The checks across templates: unique ids; a parent that exists, on the same route, without a
    cycle. Returns the templates that pass and the problems of those that do not."""
    problems: list[Problem] = []
    by_id: dict[str, Template] = {}
    for t in templates:
        if t.id in by_id:
            problems.append(
                Problem(
                    t.path, _id_line(t), f"duplicate template id {t.id!r} (also in {by_id[t.id].path.name})"
                )
            )
            continue
        by_id[t.id] = t
    changed = True
    while changed:  # a child of a refused parent is refused too
        changed = False
        for t in list(by_id.values()):
            message = None
            if t.parent is not None:
                parent = by_id.get(t.parent)
                if parent is None:
                    message = f"parent {t.parent!r} is not a valid template in this folder"
                elif parent.route != t.route:
                    message = f"parent {t.parent!r} is on route {parent.route.value!r}, not {t.route.value!r}"
                else:
                    seen = {t.id}
                    step: Template | None = parent
                    while step is not None and step.parent is not None:
                        if step.id in seen:
                            message = f"parent {t.parent!r} leads round in a circle"
                            break
                        seen.add(step.id)
                        step = by_id.get(step.parent)
            if message is not None:
                problems.append(Problem(t.path, _parent_line(t), message))
                del by_id[t.id]
                changed = True
    return tuple(by_id.values()), tuple(problems)


def load_folder(path: Path) -> GuidanceSet:
    """Every template in ``path`` (``*.md`` but ``README.md``), in file-name order; never raises."""
    path = Path(path)
    if not path.is_dir():
        return GuidanceSet((), (Problem(path, 0, "not a folder"),))
    try:
        files = template_files(path)
    except OSError as exc:
        return GuidanceSet((), (Problem(path, 0, f"cannot be read: {exc.strerror or exc}"),))
    parsed: list[Template] = []
    problems: list[Problem] = []
    for file in files:
        template, found = parse_file(file)
        problems.extend(found)
        if template is not None:
            parsed.append(template)
    templates, cross = check_templates(parsed)
    problems.extend(cross)
    problems.sort(key=lambda p: (str(p.path), p.line))
    return GuidanceSet(templates, tuple(problems))


class GuidanceLibrary:
    """The templates of one folder, reloaded when a file there changes (by mtime and size)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._set: GuidanceSet | None = None
        self._signature: tuple[tuple[str, int, int], ...] | None = None

    def _scan(self) -> tuple[tuple[str, int, int], ...]:
        try:
            files = template_files(self.path) if self.path.is_dir() else []
            out = []
            for f in files:
                try:
                    st = f.stat()
                except OSError:
                    continue
                out.append((f.name, st.st_mtime_ns, st.st_size))
            return tuple(out)
        except OSError:
            return ()

    def current(self) -> GuidanceSet:
        with self._lock:
            if self._set is None:
                self._signature = self._scan()
                self._set = load_folder(self.path)
            return self._set

    def refresh(self) -> bool:
        """Reload if any template was changed, added or removed; True if it reloaded."""
        with self._lock:
            signature = self._scan()
            if self._set is not None and signature == self._signature:
                return False
            self._signature = signature
            self._set = load_folder(self.path)
            return True

    def get(self, template_id: str) -> Template | None:
        return self.current().get(template_id)

    def for_route(self, route: Route) -> tuple[Template, ...]:
        return self.current().for_route(route)
