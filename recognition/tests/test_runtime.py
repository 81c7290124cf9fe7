"""The process-wide pipeline: built from settings, loaded once, on purpose, thread-safely."""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from recognition import runtime
from recognition.checks import check_recognition_model
from recognition.ml.embedders import FacenetVggface2Embedder

pytestmark = pytest.mark.nodb


@pytest.fixture(autouse=True)
def fresh_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import torch

    # The wsgi and Celery tests below name this process a web or worker process.
    monkeypatch.setattr(runtime, "_role", None)
    monkeypatch.setattr(runtime, "_threads_applied", None)
    threads = torch.get_num_threads()
    runtime.reset_pipeline()
    yield
    runtime.reset_pipeline()
    torch.set_num_threads(threads)


def test_nothing_is_loaded_by_commands_or_checks() -> None:
    call_command("check")
    assert runtime.current_pipeline() is None


def test_checks_and_urls_never_import_torch_in_a_fresh_process() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, django; django.setup(); from django.core import checks; "
        "messages = checks.run_checks(); import django.urls; django.urls.resolve('/api/search/'); "
        "print(len(messages), 'torch' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "memory_studio.settings_test"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["0", "False"]


def test_the_catalogue_names_exactly_the_registered_embedders() -> None:
    from recognition.ml.catalog import MODEL_KEYS
    from recognition.ml.registry import available_models

    assert sorted(MODEL_KEYS) == sorted(available_models())


@override_settings(RECOGNITION_DETECT_MAX_SIDE=640, RECOGNITION_MIN_FACE_SIZE=30, RECOGNITION_BATCH_SIZE=3)
def test_pipeline_is_built_from_settings_once_across_threads() -> None:
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(runtime.get_pipeline())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pipeline = runtime.current_pipeline()
    assert pipeline is not None
    assert pipeline.loaded
    assert all(result is pipeline for result in results)
    assert len(results) == 4
    assert pipeline.model_key == "dlib-resnet"
    assert (pipeline.detector.max_side, pipeline.detector.min_face_size, pipeline.batch_size) == (640, 30, 3)
    assert runtime.get_pipeline() is pipeline


@override_settings(RECOGNITION_MODEL="no-such-model")
def test_unusable_model_raises_a_clear_error(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(runtime.RecognitionUnavailableError, match="no-such-model"):
        runtime.get_pipeline()
    with caplog.at_level(logging.ERROR, logger="recognition.runtime"):
        assert runtime.preload() is None
    assert "preload failed" in caplog.text


def test_wsgi_preloads_when_enabled() -> None:
    import memory_studio.wsgi

    with override_settings(RECOGNITION_PRELOAD=False):
        importlib.reload(memory_studio.wsgi)
    assert runtime.current_pipeline() is None
    with override_settings(RECOGNITION_PRELOAD=True):
        importlib.reload(memory_studio.wsgi)
    pipeline = runtime.current_pipeline()
    assert pipeline is not None
    assert pipeline.loaded


def test_celery_worker_process_preloads() -> None:
    from celery.signals import worker_process_init

    import memory_studio.celery  # noqa: F401  (connects the signal handlers)

    with override_settings(RECOGNITION_PRELOAD=False):
        worker_process_init.send(sender=None)
    assert runtime.current_pipeline() is None
    with override_settings(RECOGNITION_PRELOAD=True):
        worker_process_init.send(sender=None)
    pipeline = runtime.current_pipeline()
    assert pipeline is not None
    assert pipeline.loaded


def _ids() -> list[str]:
    return [message.id or "" for message in check_recognition_model(app_configs=None, databases=None)]


def test_check_passes_for_the_default_model() -> None:
    assert _ids() == []


def test_check_reports_unknown_model_and_device() -> None:
    with override_settings(RECOGNITION_MODEL="nope", RECOGNITION_DEVICE="tpu"):
        messages = check_recognition_model(app_configs=None, databases=None)
    assert sorted(m.id or "" for m in messages) == ["recognition.E001", "recognition.E002"]
    assert "dlib-resnet" in messages[-1].msg or "dlib-resnet" in messages[0].msg


def test_check_reports_missing_weights_without_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    with override_settings(RECOGNITION_MODEL="facenet-vggface2", RECOGNITION_WEIGHTS_DIR=tmp_path):
        messages = check_recognition_model(app_configs=None, databases=None)
        assert [m.id for m in messages] == ["recognition.E003"]
        assert FacenetVggface2Embedder.weights_file in messages[0].msg
        assert "download_weights facenet-vggface2" in (messages[0].hint or "")
        # The check only looks for the file: an (unloadable) empty one satisfies it.
        (tmp_path / FacenetVggface2Embedder.weights_file).write_bytes(b"")
        assert _ids() == []
    assert runtime.current_pipeline() is None


def test_check_reports_a_missing_checkpoint(tmp_path: Path) -> None:
    with override_settings(RECOGNITION_MODEL=str(tmp_path / "finetuned.pt")):
        assert _ids() == ["recognition.E004"]


def test_search_threshold_defaults_to_the_model_and_obeys_the_setting() -> None:
    assert runtime.search_threshold() == pytest.approx(0.925)
    assert runtime.current_pipeline() is None  # reading it loads nothing
    with override_settings(RECOGNITION_SEARCH_THRESHOLD=0.95):
        assert runtime.search_threshold() == pytest.approx(0.95)


@pytest.mark.parametrize(
    ("raw", "message"), [("high", "'high' is not a number"), ("1.5", "between -1.0 and 1.0")]
)
def test_a_wrong_search_threshold_stops_the_process_at_start(raw: str, message: str) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "memory_studio.settings_test",
            "RECOGNITION_SEARCH_THRESHOLD": raw,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "RECOGNITION_SEARCH_THRESHOLD" in done.stderr
    assert message in done.stderr
