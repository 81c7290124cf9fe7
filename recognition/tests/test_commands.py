"""evaluate_faces (the accuracy bars on the real photos) and download_weights."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from recognition.ml.detection import FaceDetector
from recognition.ml.embedders import FacenetVggface2Embedder
from recognition.tests.composites import subject_with_cut_neighbour

pytestmark = pytest.mark.nodb


def test_evaluate_faces_meets_the_accuracy_bars(faces_dir: Path, tmp_path: Path) -> None:
    out = io.StringIO()
    json_path = tmp_path / "report.json"
    call_command(
        "evaluate_faces", str(faces_dir), "--model", "dlib-resnet", "--json", str(json_path), stdout=out
    )
    data = json.loads(json_path.read_text())
    expected_images = sum(1 for p in faces_dir.glob("*/*") if p.is_file() and not p.name.startswith("."))
    assert data["model"] == "dlib-resnet"
    assert data["images"] == expected_images == 126
    assert data["identities"] == 34
    assert data["faces"] == data["images"], data["images_without_face"]
    assert data["unreadable"] == []
    assert data["rank1"] >= 0.97
    assert data["auc"] >= 0.995
    assert data["threshold"] == pytest.approx(0.93)
    assert data["accuracy"] >= 0.99
    assert data["precision"] >= 0.9
    assert data["recall"] >= 0.9
    assert data["f1"] >= 0.9
    assert {"best_threshold", "best_accuracy", "timing", "positive_pairs"} <= data.keys()
    text = out.getvalue()
    assert "ROC-AUC" in text
    assert "rank-1" in text
    assert "faces found" in text


def test_evaluate_faces_rejects_bad_input(tmp_path: Path, faces_dir: Path) -> None:
    with pytest.raises(CommandError, match="not a directory"):
        call_command("evaluate_faces", str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="No <person>/<image> files"):
        call_command("evaluate_faces", str(tmp_path))
    with pytest.raises(CommandError, match="Unknown face model"):
        call_command("evaluate_faces", str(faces_dir), "--model", "nope")


def test_evaluate_faces_reports_unreadable_and_faceless_files(tmp_path: Path, faces_dir: Path) -> None:
    person = tmp_path / "someone"
    person.mkdir()
    for name in ("img10.jpg", "img5.jpg"):
        (person / name).write_bytes((faces_dir / "angelina_jolie" / name).read_bytes())
    (person / "notes.txt").write_text("not an image")
    (tmp_path / "nobody").mkdir()
    (tmp_path / "nobody" / "blank.png").write_bytes(_blank_png())
    out = io.StringIO()
    json_path = tmp_path / "r.json"
    call_command("evaluate_faces", str(tmp_path), "--json", str(json_path), stdout=out)
    data = json.loads(json_path.read_text())
    assert (data["images"], data["faces"]) == (3, 2)
    assert data["unreadable"] == ["someone/notes.txt"]
    assert data["images_without_face"] == ["nobody/blank.png"]
    assert data["auc"] is None  # one identity: no different-person pairs
    assert "no face: nobody/blank.png" in out.getvalue()


def _blank_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (90, 90, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_download_weights_without_network(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("download_weights", "dlib-resnet", stdout=out)
    assert "nothing to download" in out.getvalue()
    (tmp_path / FacenetVggface2Embedder.weights_file).write_bytes(b"x")
    call_command("download_weights", "facenet-vggface2", "--dir", str(tmp_path), stdout=out)
    assert "already exists" in out.getvalue()
    with pytest.raises(CommandError, match="Unknown face model"):
        call_command("download_weights", "nope")


def test_evaluate_faces_evaluates_the_face_each_photo_is_about(
    tmp_path: Path, faces_dir: Path, detector: FaceDetector
) -> None:
    """Two photos of Angelina Jolie with a larger Barack Obama cut by the frame beside her, a
    third without, and two of Obama: each photo's own person is evaluated, so every query's
    nearest face is the same person's and the two people are told apart at every threshold
    (with "the largest face", her photos would hold two Obamas)."""
    jolie, obama = tmp_path / "angelina_jolie", tmp_path / "fr_obama"
    jolie.mkdir()
    obama.mkdir()
    for n, (subject, neighbour) in enumerate(
        [("img1.jpg", "examples_obama.jpg"), ("img10.jpg", "examples_obama2.jpg")]
    ):
        photo = subject_with_cut_neighbour(
            detector, faces_dir / "angelina_jolie" / subject, faces_dir / "fr_obama" / neighbour
        )
        photo.save(jolie / f"with_neighbour_{n}.jpg", quality=92)
    (jolie / "img11.jpg").symlink_to(faces_dir / "angelina_jolie" / "img11.jpg")
    for name in ("test_images_obama3.jpg", "test_obama1.jpg"):
        (obama / name).symlink_to(faces_dir / "fr_obama" / name)
    json_path = tmp_path / "r.json"
    call_command(
        "evaluate_faces",
        str(tmp_path),
        "--model",
        "dlib-resnet",
        "--json",
        str(json_path),
        stdout=io.StringIO(),
    )
    data = json.loads(json_path.read_text())
    assert (data["images"], data["faces"]) == (5, 5)
    assert data["rank1"] == 1.0
    assert data["auc"] == 1.0
