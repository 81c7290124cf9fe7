"""`manage.py train_arcface` end to end on a small folder of real photos, on CPU."""

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from django.core.management import CommandError, call_command

from recognition.ml.backbones import backbone_spec
from recognition.ml.checkpoint import read_checkpoint
from recognition.ml.detection import FaceDetector
from recognition.ml.images import load_rgb
from recognition.ml.pipeline import FacePipeline
from recognition.ml.registry import get_embedder
from training.data import prepare_dataset
from training.models import TrainingRun
from training.tests.conftest import SPLIT_IDENTITIES
from training.validation import validation_score

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
        "--seed",
        "3",
        *extra,
        stdout=out,
        stderr=err,
    )
    return out.getvalue()


def _assert_best_is_the_argmax(data: dict[str, Any]) -> None:
    """The best epoch is the one with the highest validation score; of tied epochs, the last
    (a trained epoch replaces an earlier one when it is not worse)."""
    scores = [validation_score(m) for m in data["metrics"]]
    best = max(scores)
    expected = data["metrics"][max(i for i, s in enumerate(scores) if s == best)]
    assert data["best_epoch"] == expected["epoch"]
    # Its threshold, chosen on the validation identities, is the one served.
    assert data["threshold"] == pytest.approx(expected["best_threshold"])


def test_trains_writes_a_checkpoint_the_registry_serves(split_dataset, chip_cache, tmp_path, faces_dir):
    output = tmp_path / "models" / "faces.pt"
    stdout = _train(
        split_dataset,
        output,
        chip_cache,
        "--val-identities",
        "2",
        "--epochs",
        "2",
        "--patience",
        "0",
        "--lr",
        "3e-4",
        "--head-warmup-epochs",
        "1",
    )

    assert "best epoch" in stdout
    data = read_checkpoint(output)
    last = read_checkpoint(output.with_name("faces.last.pt"))
    assert last["epoch"] == 2
    assert [m["epoch"] for m in data["metrics"]] == [0, 1, 2]
    for m in data["metrics"]:
        for key in ("auc", "rank1", "accuracy", "precision", "recall", "f1", "separation"):
            assert m[key] is not None
        # The validation people were never trained on: there is no classification loss for them.
        assert m["val_loss"] is None
    assert data["metrics"][2]["train_loss"] > 0
    # Two whole identities held out: validation and training share nobody.
    validation = data["validation"]
    held = validation["held_out_identities"]
    assert validation["mode"] == "identities"
    assert len(held) == 2
    assert not set(held) & set(data["identity_names"])
    assert sorted([*held, *data["identity_names"]]) == sorted(SPLIT_IDENTITIES)
    assert validation["threshold_from"] == "unseen identities"
    assert validation["positive_pairs"] == data["metrics"][0]["positive_pairs"] >= 20
    assert "held out of training" in stdout
    assert data["backbone"] == "dlib-resnet"
    assert data["embedding_size"] == 128
    assert data["input_size"] == [150, 150]
    assert len(data["template"]) == 5
    assert data["identities"] == len(SPLIT_IDENTITIES) - 2
    assert data["identity_names"] == sorted(set(SPLIT_IDENTITIES) - set(held))
    assert data["config"]["epochs"] == 2
    assert len(data["dataset_fingerprint"]) == 64
    # The best checkpoint is the best by validation, epoch 0 (the pretrained model) included.
    _assert_best_is_the_argmax(data)
    _assert_best_is_the_argmax(last)
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


def test_one_epoch_changes_the_model_measurably(split_dataset, chip_cache, tmp_path):
    """Defaults (dlib-resnet, lr 1e-5, 2 head-only epochs asked for) with `--epochs 1`: the one
    epoch trains the backbone, at a learning rate that is not still warming up from zero."""
    output = tmp_path / "one.pt"
    _train(split_dataset, output, chip_cache, "--val-identities", "2", "--epochs", "1")
    last = read_checkpoint(output.with_name("one.last.pt"))
    assert last["metrics"][1]["lr"] == pytest.approx(1e-5)
    _assert_best_is_the_argmax(last)
    spec = backbone_spec("dlib-resnet")
    chips = prepare_dataset(
        split_dataset, template=spec.template, detector=FaceDetector(device="cpu"), cache_dir=chip_cache
    ).chips[:4]
    before = get_embedder("dlib-resnet", device="cpu")
    after = get_embedder(str(output.with_name("one.last.pt")), device="cpu")
    before.load()
    after.load()
    similarity = np.sum(before.predict(chips) * after.predict(chips), axis=1)
    # Float noise is ~1e-7; one epoch moves these unit embeddings by ~1e-2 in cosine.
    assert np.all(1.0 - similarity > 1e-3), similarity


def test_resume_continues_from_the_checkpoint(small_dataset, chip_cache, tmp_path):
    """On request, validation splits each person's images (people the model trains on)."""
    output = tmp_path / "run.pt"
    stdout = _train(
        small_dataset,
        output,
        chip_cache,
        "--val-mode",
        "images",
        "--val-split",
        "0.4",
        "--min-val-pairs",
        "5",
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
    assert first["validation"]["threshold_from"] == "identities seen in training"
    assert first["metrics"][1]["val_loss"] > 0  # the validation people have head classes here
    assert "Per-image validation" in stdout

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
    # Resumed into a new output file, the resumed state is that file's baseline (never a crash).
    other = tmp_path / "other.pt"
    _train(
        small_dataset, other, chip_cache, "--epochs", "2", "--resume", str(output.with_name("run.last.pt"))
    )
    assert read_checkpoint(other)["best_epoch"] == 2
    assert resumed["config"]["val_mode"] == "images"
    assert TrainingRun.objects.count() == 3


def test_too_small_a_validation_set_is_refused_and_recorded(
    small_dataset, split_dataset, chip_cache, tmp_path
):
    # Three people: a quarter of them is one identity held out, with nobody to tell it from.
    with pytest.raises(CommandError, match=r"1 whole identities held out.*at least 2 identities"):
        _train(small_dataset, tmp_path / "m.pt", chip_cache)
    with pytest.raises(CommandError, match="fewer than min_val_pairs=500: the best epoch and the threshold"):
        _train(
            split_dataset, tmp_path / "m.pt", chip_cache, "--val-identities", "2", "--min-val-pairs", "500"
        )
    assert [run.status for run in TrainingRun.objects.all()] == [TrainingRun.Status.FAILED] * 2
    assert "meaningless" in TrainingRun.objects.get(dataset=str(split_dataset)).error
    assert not (tmp_path / "m.pt").exists()


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
