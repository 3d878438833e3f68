"""What the PyInstaller bundle is made of: ``build.spec`` evaluated with stand-ins for PyInstaller's
build steps, the shipped resources held to ``supportline.resources.SHIPPED``, and the icon files.

The build itself is proven by the CI step (``.ci/run``: ``packaging/build.sh``, then ``self-test``,
``--version``, ``demo`` and a GUI start from the bundle); these tests are the fast part.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path
from typing import Any

import pytest

import supportline
from supportline.resources import ICON_SIZES, SHIPPED, missing_resources, resources_dir

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "build.spec"


class _Step:
    """Stands in for one of PyInstaller's Analysis, PYZ, EXE and COLLECT; records its arguments."""

    made: list[_Step]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        self.binaries: list[tuple[str, str, str]] = [
            ("PySide6/Qt/lib/libQt6Widgets.so.6", "/x/libQt6Widgets.so.6", "BINARY"),
            ("PySide6/Qt/lib/libQt6Quick.so.6", "/x/libQt6Quick.so.6", "BINARY"),
            ("libQt6Quick.so.6", "PySide6/Qt/lib/libQt6Quick.so.6", "SYMLINK"),
            ("PySide6/Qt/plugins/imageformats/libqpdf.so", "/x/libqpdf.so", "BINARY"),
            ("PySide6/Qt/plugins/imageformats/libqsvg.so", "/x/libqsvg.so", "BINARY"),
        ]
        self.datas: list[tuple[str, str, str]] = [
            ("pycountry/databases/iso3166-1.json", "/x/iso3166-1.json", "DATA"),
            ("pycountry/locales/fr/LC_MESSAGES/iso3166-1.mo", "/x/iso3166-1.mo", "DATA"),
        ]
        self.pure: list[Any] = []
        self.scripts: list[Any] = []
        type(self).made.append(self)


def evaluate_spec(root: Path, platform: str = "linux") -> dict[str, list[_Step]]:
    """Run build.spec as PyInstaller would (``SPECPATH`` = ``root``), with stand-ins for its steps."""
    # Imported before sys.platform is changed: PyInstaller reads the platform once, on import.
    pytest.importorskip("PyInstaller.utils.hooks", reason="PyInstaller comes with the dev extra")
    steps: dict[str, list[_Step]] = {}
    namespace: dict[str, Any] = {"SPECPATH": str(root), "__name__": "__main__"}
    for name in ("Analysis", "PYZ", "EXE", "COLLECT"):
        step = type(name, (_Step,), {"made": []})
        steps[name] = step.made
        namespace[name] = step
    platform_before = sys.platform
    path_before = list(sys.path)
    try:
        sys.platform = platform  # type: ignore[misc]  # the spec picks the icon by platform
        exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)  # noqa: S102
    finally:
        sys.platform = platform_before  # type: ignore[misc]
        sys.path[:] = path_before
    return steps


def test_every_resources_folder_is_listed_and_every_listed_file_is_there() -> None:
    on_disk = {p.name for p in resources_dir().iterdir() if p.is_dir()}
    assert on_disk == set(SHIPPED)
    assert missing_resources() == []


def test_the_spec_ships_every_resources_folder_the_migrations_and_the_version() -> None:
    steps = evaluate_spec(ROOT)
    (analysis,) = steps["Analysis"]
    datas = analysis.kwargs["datas"]
    assert sorted(dest for _src, dest in datas if dest.startswith("resources/")) == sorted(
        f"resources/{folder}" for folder in SHIPPED
    )
    assert all(Path(src).is_dir() for src, _dest in datas)
    assert (str(ROOT / "supportline" / "db" / "migrations"), "supportline/db/migrations") in datas
    hidden = analysis.kwargs["hiddenimports"]
    assert "sqlalchemy.dialects.postgresql.psycopg" in hidden and "psycopg_binary" in hidden
    assert "alembic.runtime.migration" in hidden and not any(h.startswith("alembic.testing") for h in hidden)
    (collect,) = steps["COLLECT"]
    assert collect.kwargs["name"] == f"supportline-{supportline.__version__}"
    gui, cli = steps["EXE"]
    assert (gui.kwargs["name"], gui.kwargs["console"]) == ("supportline", False)
    assert (cli.kwargs["name"], cli.kwargs["console"]) == ("supportline-cli", True)
    assert gui.kwargs["icon"] is None  # Linux takes the icon from the .desktop file


def test_the_spec_leaves_out_quick_qml_pdf_and_name_translations() -> None:
    (analysis,) = evaluate_spec(ROOT)["Analysis"]
    assert [b[0] for b in analysis.binaries] == [
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
    ]
    assert [d[0] for d in analysis.datas] == ["pycountry/databases/iso3166-1.json"]


@pytest.mark.parametrize(("platform", "icon"), [("win32", "supportline.ico"), ("darwin", "supportline.icns")])
def test_the_executables_carry_the_platforms_icon(platform: str, icon: str) -> None:
    for exe in evaluate_spec(ROOT, platform)["EXE"]:
        assert exe.kwargs["icon"] == str(ROOT / "resources" / "icons" / icon)


def test_the_spec_stops_on_a_resources_folder_nobody_listed(tmp_path: Path) -> None:
    resources = tmp_path / "resources"
    resources.mkdir()
    for folder in SHIPPED:
        (resources / folder).symlink_to(resources_dir() / folder)
    (resources / "extras").mkdir()
    with pytest.raises(SystemExit, match=r"resources/extras is not in supportline.resources.SHIPPED"):
        evaluate_spec(tmp_path)


# --- the icon files -----------------------------------------------------------------------------


def test_the_pngs_have_their_sizes() -> None:
    for size in ICON_SIZES:
        data = (resources_dir() / "icons" / f"supportline-{size}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
        assert (width, height) == (size, size)


def test_the_windows_and_macos_icon_files_hold_every_size() -> None:
    image = pytest.importorskip("PIL.Image")  # Pillow comes with reportlab
    with image.open(resources_dir() / "icons" / "supportline.ico") as ico:
        assert ico.format == "ICO"
        assert sorted(ico.info["sizes"]) == [(s, s) for s in (16, 20, 24, 32, 40, 48, 64, 256)]
    with image.open(resources_dir() / "icons" / "supportline.icns") as icns:
        assert icns.format == "ICNS"
        assert {(w, h, scale) for w, h, scale in icns.info["sizes"]} >= {
            (16, 16, 1), (32, 32, 1), (128, 128, 1), (256, 256, 1), (512, 512, 1),
            (16, 16, 2), (32, 32, 2), (128, 128, 2), (256, 256, 2),
        }  # fmt: skip
