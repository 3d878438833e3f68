"""The core runs without Qt: importing every core module (and running the CLI) loads no PySide6.

``lint-imports`` proves it statically; this proves it at run time, where a lazy import in a
function body or a plugin could still pull Qt in.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys

import supportline

PROBE = """
import importlib, json, pkgutil, sys
import supportline
names = [m.name for m in pkgutil.walk_packages(supportline.__path__, "supportline.")
         if ".migrations." not in m.name]
for name in names:
    importlib.import_module(name)
from supportline.cli import main
code = main(["--version"])
print(json.dumps({"code": code, "imported": len(names),
                  "qt": sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "ui"))}))
"""


def test_importing_every_core_module_and_running_the_cli_loads_no_qt(tmp_path: object) -> None:
    env = {**os.environ, "SUPPORTLINE_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    expected = [m.name for m in pkgutil.walk_packages(supportline.__path__, "supportline.")]
    assert report["imported"] >= len([n for n in expected if ".migrations." not in n]) > 20
    assert report["code"] == 0
    assert report["qt"] == []
