"""Issue 11's target: a routine repeat-caller call in <= 60 keys besides the narrative and advice,
through the real form by keyboard (the scenarios of ``bench/bench_keystrokes.py``, which also
check every stored value against what was typed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from supportline.db import Database
from supportline.services.actor import Actor
from ui.tasks import TaskRunner

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_keystrokes.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_keystrokes", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_keystrokes"] = module
    spec.loader.exec_module(module)
    return module


def test_a_routine_repeat_caller_call_takes_at_most_60_keys(
    qapp: object, sqlite_db: Database, admin: Actor, tasks: TaskRunner
) -> None:
    bench = _bench()
    repeat, first_time = bench.run_all(sqlite_db, admin, tasks)
    assert repeat.other_keys <= bench.TARGET, repeat.keys
    assert repeat.free_characters == len(bench.NARRATIVE) + len(bench.ADVICE)
    # Ctrl+R saves every character of the caller but the collar number.
    assert repeat.other_keys < first_time.other_keys - 60
