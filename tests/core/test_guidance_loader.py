"""The guidance loader: every problem of the broken corpus with its file and line; the library's reload;
``supportline guidance check``."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest

from supportline.cli import main
from supportline.enums import Route
from supportline.guidance import loader
from supportline.guidance.model import Condition, content_hash

CORPUS = Path(__file__).resolve().parents[1] / "data" / "guidance_broken"
SHIPPED_READY = Path("/tmp/issue4/content-ready")

GOOD = """+++
id = "{id}"
route = "{route}"
title = "Victim support"
version = "1.0"
reviewed = 2026-11-20
sources = ["Home Office statutory guidance"]
sample = true
{extra}
[[checklist]]
id = "nrm"
text = "Explain the NRM"
required = true

[[checklist]]
id = "notes"
text = "Write notes"

[[when]]
reason = "A child is involved"
has_child = true
urgency_any = ["crisis", "urgent"]
+++
# Victim support

Sample content.
"""


def write(
    folder: Path, name: str, template_id: str | None = None, route: str = "victim", extra: str = ""
) -> Path:
    path = folder / name
    path.write_text(GOOD.format(id=template_id or path.stem, route=route, extra=extra), encoding="utf-8")
    return path


def test_a_good_template_is_read_whole(tmp_path: Path) -> None:
    path = write(tmp_path, "victim.md")
    result = loader.load_folder(tmp_path)
    assert result.problems == ()
    (t,) = result.templates
    assert (t.id, t.route, t.title, t.version, t.reviewed) == (
        "victim",
        Route.VICTIM,
        "Victim support",
        "1.0",
        date(2026, 11, 20),
    )
    assert t.sources == ("Home Office statutory guidance",) and t.sample is True and t.parent is None
    assert [(i.id, i.required) for i in t.checklist] == [("nrm", True), ("notes", False)]
    assert [i.id for i in t.required_items] == ["nrm"]
    (rule,) = t.rules
    assert rule.reason == "A child is involved"
    assert rule.conditions == (
        Condition("has_child", True),
        Condition("urgency_any", frozenset({"crisis", "urgent"})),
    )
    assert t.body == "# Victim support\n\nSample content.\n"
    assert t.text == path.read_text(encoding="utf-8")
    assert t.content_hash == content_hash(t.text) and len(t.content_hash) == 64
    assert t.path == path


def test_the_broken_corpus_gives_each_expected_problem() -> None:
    result = loader.load_folder(CORPUS)
    got = [f"{p.path.name}:{p.line}: {p.message}" for p in result.problems]
    expected = (CORPUS / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert got == expected
    # One file per problem: each broken file is named once; the good ones load.
    broken = {p.path.name for p in result.problems}
    assert len(broken) == len(result.problems)
    assert {t.id for t in result.templates} == {"good-victim", "good-legal", "dup"}
    files = {p.name for p in CORPUS.glob("*.md")}
    assert files == broken | {"good-victim.md", "good-legal.md", "duplicate-id-a.md"}
    assert (
        str(result.problems[0])
        == f"{result.problems[0].path}:{result.problems[0].line}: {result.problems[0].message}"
    )


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("bad-toml.md", 4, "bad TOML"),
        ("unknown-key.md", 9, "unknown key 'titel'"),
        ("unknown-route.md", 3, "unknown route 'welfare'"),
        ("duplicate-id-b.md", 2, "duplicate template id 'dup'"),
        ("duplicate-checklist-id.md", 15, "duplicate checklist id 'same'"),
        ("empty-checklist-text.md", 16, "non-empty 'text'"),
        ("unknown-fact.md", 20, "unknown fact 'has_childs'"),
        ("unknown-enum-value.md", 16, "unknown value 'asap' for 'urgency_any'"),
        ("missing-front-matter.md", 1, "missing front matter"),
        ("unclosed-front-matter.md", 1, "not closed"),
        ("missing-parent.md", 9, "parent 'nowhere' is not a valid template"),
        ("parent-other-route.md", 9, "on route 'victim', not 'legal'"),
        ("child-of-broken.md", 9, "parent 'missing-parent'"),
        ("no-checklist.md", 2, "no [[checklist]] items"),
        ("missing-reason.md", 14, "non-empty 'reason'"),
        ("bad-reviewed.md", 6, "'reviewed' must be a date"),
        ("no-sources.md", 7, "'sources' must be a non-empty list"),
        ("bad-fact-type.md", 16, "'has_child' in [[when]] rule 1 must be true or false"),
        ("bad-id.md", 2, "id 'Bad_ID'"),
    ],
)
def test_each_problem_names_its_line(name: str, line: int, words: str) -> None:
    problems = [p for p in loader.load_folder(CORPUS).problems if p.path.name == name]
    assert len(problems) == 1
    assert problems[0].line == line
    assert words in problems[0].message
    # The line really is where the problem is written (or the file's first lines).
    text = (CORPUS / name).read_text(encoding="utf-8").split("\n")
    assert 1 <= line <= len(text)


def test_a_toml_error_counts_lines_from_the_file_not_the_front_matter(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text('+++\nid = "x"\n\nroute = = "victim"\n+++\n', encoding="utf-8")
    (problem,) = loader.load_folder(tmp_path).problems
    assert problem.line == 4 and problem.message.startswith("bad TOML: ")
    assert "(at line" not in problem.message


def test_crlf_bom_and_unreadable_files(tmp_path: Path) -> None:
    text = "\ufeff" + GOOD.format(id="crlf", route="legal", extra="").replace("\n", "\r\n")
    (tmp_path / "crlf.md").write_bytes(text.encode("utf-8"))
    (tmp_path / "latin.md").write_bytes('+++\nid = "caf\xe9"\n+++\n'.encode("latin-1"))
    (tmp_path / "README.md").write_text("# not a template\n", encoding="utf-8")
    result = loader.load_folder(tmp_path)
    assert [t.id for t in result.templates] == ["crlf"]
    assert [(p.path.name, p.line) for p in result.problems] == [("latin.md", 1)]
    assert "UTF-8" in result.problems[0].message


def test_a_missing_folder_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    result = loader.load_folder(tmp_path / "nowhere")
    assert result.templates == () and len(result.problems) == 1


def test_parents_and_a_cycle(tmp_path: Path) -> None:
    write(tmp_path, "victim.md")
    write(tmp_path, "victim-child.md", extra='parent = "victim"')
    write(tmp_path, "a.md", extra='parent = "b"')
    write(tmp_path, "b.md", extra='parent = "a"')
    write(tmp_path, "self.md", extra='parent = "self"')
    result = loader.load_folder(tmp_path)
    assert sorted(t.id for t in result.templates) == ["victim", "victim-child"]
    assert sorted(p.path.name for p in result.problems) == ["a.md", "b.md", "self.md"]


def test_the_library_reloads_only_when_a_file_changes(tmp_path: Path) -> None:
    path = write(tmp_path, "victim.md")
    library = loader.GuidanceLibrary(tmp_path)
    first = library.current()
    assert library.get("victim") is not None and library.get("nope") is None
    assert library.for_route(Route.VICTIM) == first.templates and library.for_route(Route.LEGAL) == ()
    assert library.refresh() is False
    assert library.current() is first
    path.write_text(
        path.read_text(encoding="utf-8").replace('version = "1.0"', 'version = "1.1"'), encoding="utf-8"
    )
    later = time.time() + 5
    os.utime(path, (later, later))
    assert library.refresh() is True
    template = library.get("victim")
    assert template is not None and template.version == "1.1"
    write(tmp_path, "legal.md", route="legal")
    assert library.refresh() is True and len(library.current().templates) == 2
    (tmp_path / "legal.md").unlink()
    assert library.refresh() is True and len(library.current().templates) == 1
    assert library.refresh() is False


def test_configured_dir_follows_the_settings(tmp_path: Path) -> None:
    from supportline.config import Settings

    assert loader.configured_dir(Settings()) == loader.shipped_guidance_dir()
    assert loader.configured_dir(Settings(guidance_dir=str(tmp_path))) == tmp_path


# --- the command ------------------------------------------------------------------------------------


def test_guidance_check_on_the_broken_corpus_lists_every_problem(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["guidance", "check", str(CORPUS)]) == 1
    out = capsys.readouterr().out.splitlines()
    expected = (CORPUS / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert [line.replace(f"{CORPUS}{os.sep}", "") for line in out[:-1]] == expected
    assert out[-1].startswith(f"3 templates, {len(expected)} problems")


def test_guidance_check_and_list_on_a_good_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "victim.md")
    write(tmp_path, "victim-child.md", extra='parent = "victim"')
    assert main(["guidance", "check", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("2 templates, 0 problems")
    assert main(["guidance", "list", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "victim-child" in out and "victim" in out


def test_guidance_check_defaults_to_the_configured_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = Path(os.environ["SUPPORTLINE_HOME"])
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "settings.toml").write_text(f"guidance_dir = {str(tmp_path)!r}\n", encoding="utf-8")
    write(tmp_path, "legal.md", route="legal")
    assert main(["guidance", "check"]) == 0
    assert capsys.readouterr().out.startswith("1 template, 0 problems")


@pytest.mark.skipif(
    not any(loader.template_files(loader.shipped_guidance_dir())) and not SHIPPED_READY.exists(),
    reason="the shipped templates have not landed yet",
)
def test_the_shipped_guidance_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["guidance", "check", str(loader.shipped_guidance_dir())]) == 0
    result = loader.load_folder(loader.shipped_guidance_dir())
    assert len(result.templates) >= 6
    assert {t.route for t in result.templates} == set(Route)
    assert all(t.sample for t in result.templates)


def test_self_test_reports_broken_guidance(capsys: pytest.CaptureFixture[str]) -> None:
    home = Path(os.environ["SUPPORTLINE_HOME"])
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "settings.toml").write_text(f"guidance_dir = {str(CORPUS)!r}\n", encoding="utf-8")
    assert main(["self-test"]) == 1
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if "guidance" in x.split(":")[0]]
    assert line.startswith("FAIL guidance: 19 problem(s)") and "supportline guidance check" in line


def test_self_test_accepts_the_shipped_guidance(capsys: pytest.CaptureFixture[str]) -> None:
    main(["self-test"])
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if "guidance" in x.split(":")[0]]
    assert line.startswith("ok   guidance: ") and "all valid" in line
