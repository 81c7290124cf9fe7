"""`manage.py train_arcface` end to end on a small folder of real photos, on CPU."""

import io
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from django.core.management import CommandError, call_command

from recognition.ml.checkpoint import read_checkpoint
from recognition.ml.detection import FaceDetector
from recognition.ml.images import load_rgb
from recognition.ml.pipeline import FacePipeline
from recognition.ml.registry import get_embedder
from training.models import TrainingRun
from training.tests.conftest import SMALL_IDENTITIES

pytestmark = pytest.mark.django_db


def _train(dataset: Path, output: Path, cache: Path, *extra: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "train_arcface",
        str(dataset),
        "--output",
        str(output),
        "--cache-dir",
        str(cache),
        "--device",
        "cpu",
        "--batch-size",
        "8",
        "--val-split",
        "0.4",
        "--seed",
        "3",
        *extra,
        stdout=out,
        stderr=err,
    )
    return out.getvalue()


def test_trains_writes_a_checkpoint_the_registry_serves(small_dataset, chip_cache, tmp_path, faces_dir):
    output = tmp_path / "models" / "faces.pt"
    began = time.perf_counter()
    stdout = _train(
        small_dataset,
        output,
        chip_cache,
        "--epochs",
        "2",
        "--patience",
        "0",
        "--lr",
        "3e-4",
        "--head-warmup-epochs",
        "1",
    )
    assert time.perf_counter() - began < 180  # detection included when the cache is cold

    assert "best epoch" in stdout
    data = read_checkpoint(output)
    last = read_checkpoint(output.with_name("faces.last.pt"))
    assert last["epoch"] == 2
    assert [m["epoch"] for m in data["metrics"]] == [0, 1, 2]
    for m in data["metrics"]:
        for key in ("auc", "rank1", "accuracy", "precision", "recall", "f1", "val_loss"):
            assert key in m
    assert data["metrics"][2]["train_loss"] > 0
    assert data["backbone"] == "dlib-resnet"
    assert data["embedding_size"] == 128
    assert data["input_size"] == [150, 150]
    assert len(data["template"]) == 5
    assert data["identities"] == len(SMALL_IDENTITIES)
    assert data["identity_names"] == list(SMALL_IDENTITIES)
    assert data["config"]["epochs"] == 2
    assert len(data["dataset_fingerprint"]) == 64
    # The best checkpoint is the best by validation, epoch 0 (the pretrained model) included.
    assert data["epoch"] == data["best_epoch"]
    # Training changed the last stages only (frozen early stages by default).
    initial = get_embedder("dlib-resnet")
    initial.load()
    trained = last["state_dict"]
    assert torch.equal(trained["stem.weight"], initial.network.state_dict()["stem.weight"])
    assert not torch.equal(trained["fc.weight"], initial.network.state_dict()["fc.weight"])

    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.SUCCEEDED
    assert run.checkpoint == str(output)
    assert run.best_epoch == data["best_epoch"]
    assert len(run.metrics) == 3
    assert run.dataset_fingerprint == data["dataset_fingerprint"]
    assert run.finished_at is not None

    # Served by path, the checkpoint embeds real faces: the same person is closer than another.
    for path in (output, output.with_name("faces.last.pt")):
        embedder = get_embedder(str(path), device="cpu")
        assert embedder.key.startswith(f"ckpt:{path.stem}:")
        pipeline = FacePipeline(FaceDetector(device="cpu"), embedder, batch_size=4)
        images = [
            load_rgb((faces_dir / "fr_obama" / name).read_bytes())
            for name in sorted(p.name for p in (faces_dir / "fr_obama").iterdir())[:2]
        ]
        images.append(
            load_rgb(
                (faces_dir / "of_lennon" / sorted((faces_dir / "of_lennon").iterdir())[0].name).read_bytes()
            )
        )
        faces = pipeline.predict(images)
        assert all(faces)
        a, b, c = (found[0].vector for found in faces)
        assert a.shape == (128,)
        assert np.isclose(np.linalg.norm(a), 1.0, atol=1e-5)
        assert float(a @ b) > float(a @ c)


def test_resume_continues_from_the_checkpoint(small_dataset, chip_cache, tmp_path):
    output = tmp_path / "run.pt"
    _train(
        small_dataset,
        output,
        chip_cache,
        "--epochs",
        "1",
        "--patience",
        "0",
        "--backbone",
        "mobilenet_v3_small",
    )
    first = read_checkpoint(output.with_name("run.last.pt"))
    assert first["epoch"] == 1
    assert first["config"]["backbone"] == "mobilenet_v3_small"

    stdout = _train(
        small_dataset, output, chip_cache, "--epochs", "2", "--resume", str(output.with_name("run.last.pt"))
    )
    assert "epoch 0:" not in stdout  # not evaluated from scratch again
    assert "epoch 2:" in stdout
    resumed = read_checkpoint(output.with_name("run.last.pt"))
    assert resumed["epoch"] == 2
    assert resumed["config"]["backbone"] == "mobilenet_v3_small"  # the run's config carried over
    assert [m["epoch"] for m in resumed["metrics"]] == [0, 1, 2]
    assert resumed["metrics"][1] == first["metrics"][1]
    # The optimiser continued: its step count went on from the first run's.
    steps = next(iter(first["optimizer"]["state"].values()))["step"]
    assert next(iter(resumed["optimizer"]["state"].values()))["step"] == 2 * steps
    assert TrainingRun.objects.count() == 2


def test_clear_errors_are_command_errors_and_recorded(tmp_path, faces_dir, chip_cache):
    with pytest.raises(CommandError, match="is empty"):
        _train(tmp_path, tmp_path / "m.pt", chip_cache)
    assert TrainingRun.objects.get().status == TrainingRun.Status.FAILED
    assert "is empty" in TrainingRun.objects.get().error
    (tmp_path / "only").mkdir()
    (tmp_path / "only" / "a.jpg").symlink_to(faces_dir / "angelina_jolie" / "img10.jpg")
    with pytest.raises(CommandError, match="at least 2 people"):
        _train(tmp_path, tmp_path / "m.pt", chip_cache)
    bad = tmp_path / "bad.toml"
    bad.write_text("epochs = -1\n")
    with pytest.raises(CommandError, match="epochs must be at least 1"):
        _train(tmp_path, tmp_path / "m.pt", chip_cache, "--config", str(bad))
    with pytest.raises(CommandError, match="does not exist"):
        _train(tmp_path, tmp_path / "m.pt", chip_cache, "--resume", str(tmp_path / "nope.pt"))
    assert not (tmp_path / "m.pt").exists()
