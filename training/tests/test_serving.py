"""A checkpoint is a model like any other: `evaluate_faces --model <path>` serves it."""

import io
import json
from pathlib import Path

import pytest
import torch
from django.core.management import call_command

from recognition.ml.backbones import BACKBONES, build_backbone
from recognition.ml.checkpoint import checkpoint_metadata

pytestmark = pytest.mark.nodb


def test_a_checkpoint_of_the_pretrained_dlib_network_evaluates_like_dlib_resnet(tmp_path, faces_dir):
    for name in ("fr_obama", "of_lennon", "deepface_g07"):
        (tmp_path / "faces" / name).mkdir(parents=True)
        for photo in sorted((faces_dir / name).iterdir())[:2]:
            (tmp_path / "faces" / name / photo.name).symlink_to(photo)
    checkpoint = tmp_path / "pretrained.pt"
    data = checkpoint_metadata(BACKBONES["dlib-resnet"], embedding_size=128, threshold=0.93)
    data["state_dict"] = build_backbone("dlib-resnet").state_dict()
    torch.save(data, checkpoint)

    results = {}
    for model in ("dlib-resnet", str(checkpoint)):
        out = tmp_path / f"{Path(model).stem}.json"
        call_command(
            "evaluate_faces",
            str(tmp_path / "faces"),
            "--model",
            model,
            "--json",
            str(out),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        results[model] = json.loads(out.read_text())
    ours = results[str(checkpoint)]
    assert ours["model"].startswith("ckpt:pretrained:")
    assert ours["faces"] == 6
    for key in ("auc", "rank1", "accuracy", "best_threshold"):
        assert ours[key] == pytest.approx(results["dlib-resnet"][key], abs=1e-6), key
