"""torch's CPU threads per process role, set from settings when the model first loads, and
OpenMP's wait policy put in the environment before torch loads, in real entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from django.conf import settings
from django.test import override_settings

from recognition import runtime
from recognition.ml.threads import set_torch_threads, usable_cores

pytestmark = pytest.mark.nodb

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture(autouse=True)
def restore_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(runtime, "_role", None)
    monkeypatch.setattr(runtime, "_threads_applied", None)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_roles_are_checked_and_the_default_is_guessed_from_the_command_line(monkeypatch):
    with pytest.raises(ValueError, match="Unknown process role"):
        runtime.set_process_role("gpu")
    monkeypatch.setattr(sys, "argv", ["manage.py", "runserver", "--noreload"])
    assert runtime.process_role() == "web"
    monkeypatch.setattr(sys, "argv", ["manage.py", "reindex_faces"])
    assert runtime.process_role() == "command"
    runtime.set_process_role("worker")
    assert runtime.process_role() == "worker"


@override_settings(RECOGNITION_THREADS_WEB=1, RECOGNITION_THREADS_WORKER=0, RECOGNITION_THREADS_COMMAND=0)
def test_each_role_gets_its_settings_threads_and_zero_means_every_core():
    runtime.set_process_role("web")
    assert runtime.apply_thread_policy().intra_op == 1
    assert torch.get_num_threads() == 1
    runtime.set_process_role("worker")
    assert runtime.apply_thread_policy().intra_op == usable_cores()
    assert torch.get_num_threads() == usable_cores()


def test_negative_threads_are_refused():
    with pytest.raises(ValueError, match="intra_op"):
        set_torch_threads(-1)


@override_settings(RECOGNITION_THREADS_COMMAND=1)
def test_loading_the_model_applies_the_roles_threads_first():
    torch.set_num_threads(usable_cores())
    runtime.reset_pipeline()
    try:
        runtime.get_pipeline()
        assert torch.get_num_threads() == 1
    finally:
        runtime.reset_pipeline()


PROBE = """
import json, os, sys
import memory_studio
torch_before = "torch" in sys.modules
import memory_studio.wsgi
import torch
print(json.dumps({
    "torch_before": torch_before,
    "wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    "intra_op": torch.get_num_threads(),
    "inter_op": torch.get_num_interop_threads(),
    "loaded": __import__("recognition.runtime").runtime.current_pipeline() is not None,
}))
"""


def _probe(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=BASE_DIR,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "memory_studio.settings_test",
            "RECOGNITION_PRELOAD": "1",
            "RECOGNITION_THREADS_WEB": "1",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_web_process_runs_the_web_threads_with_openmps_own_wait_policy():
    done = _probe()
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {
        "torch_before": False,  # loading the site's code does not load torch
        "wait_policy": None,
        "intra_op": 1,
        "inter_op": 1,
        "loaded": True,
    }


def test_an_operators_wait_policy_is_kept_and_a_wrong_one_stops_the_process():
    done = _probe(OMP_WAIT_POLICY="active", RECOGNITION_THREADS_WEB="2")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert (found["wait_policy"], found["intra_op"]) == ("active", 2)

    wrong = _probe(OMP_WAIT_POLICY="spin")
    assert wrong.returncode != 0
    assert "OMP_WAIT_POLICY='spin' must be one of: passive, active" in wrong.stderr


NICE_PROBE = """
import json, os, threading
from recognition.ml.threads import lower_priority
started = threading.Event(); done = threading.Event(); seen = {}
def before():
    seen["before_tid"] = threading.get_native_id(); started.set(); done.wait()
thread = threading.Thread(target=before); thread.start(); started.wait()
base = os.getpriority(os.PRIO_PROCESS, 0)
main = lower_priority(3)
later = {}
def after():
    later["nice"] = os.getpriority(os.PRIO_PROCESS, 0)
t2 = threading.Thread(target=after); t2.start(); t2.join()
print(json.dumps({
    "base": base,
    "main": main,
    "earlier_thread": os.getpriority(os.PRIO_PROCESS, seen["before_tid"]),
    "later_thread": later["nice"],
}))
done.set(); thread.join()
"""


def test_lower_priority_renices_every_thread_and_threads_started_later():
    done = subprocess.run(
        [sys.executable, "-c", NICE_PROBE], cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    expected = min(19, found["base"] + 3)
    assert found["main"] == found["earlier_thread"] == found["later_thread"] == expected
    assert expected > found["base"] or found["base"] == 19
