from pathlib import Path

import numpy as np
import pytest

from recognition.ml.alignment import DLIB_TEMPLATE
from recognition.ml.detection import FaceDetector
from training.data import DatasetError, list_images, prepare_dataset, split_by_identity

pytestmark = pytest.mark.nodb


class CountingDetector(FaceDetector):
    """The real MTCNN detector, counting the images it is asked to search."""

    def __init__(self) -> None:
        super().__init__(device="cpu")
        self.searched = 0

    def predict(self, images):
        self.searched += len(images)
        return super().predict(images)


@pytest.fixture(scope="module")
def detector():
    return CountingDetector()


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="is empty"):
        list_images(tmp_path)
    (tmp_path / "alice").mkdir()  # a person folder without photos is still empty
    with pytest.raises(DatasetError, match="is empty"):
        list_images(tmp_path)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        list_images(tmp_path / "missing")


def test_fewer_than_two_identities_is_a_clear_error(tmp_path, faces_dir):
    (tmp_path / "angelina_jolie").mkdir()
    (tmp_path / "angelina_jolie" / "a.jpg").symlink_to(faces_dir / "angelina_jolie" / "img10.jpg")
    with pytest.raises(DatasetError, match="at least 2 people"):
        list_images(tmp_path)


def test_unreadable_images_are_a_clear_error_naming_them(tmp_path, faces_dir, detector):
    for name in ("angelina_jolie", "deepface_g02"):
        (tmp_path / name).mkdir()
        photo = sorted((faces_dir / name).iterdir())[0]
        (tmp_path / name / photo.name).symlink_to(photo)
    (tmp_path / "deepface_g02" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(DatasetError, match=r"1 unreadable file.*deepface_g02/broken.jpg"):
        prepare_dataset(tmp_path, template=DLIB_TEMPLATE, detector=detector, cache_dir=tmp_path / "cache")


def test_images_without_a_face_are_reported_and_skipped(tmp_path, faces_dir, image_bytes, detector):
    for name in ("angelina_jolie", "deepface_g02"):
        (tmp_path / "ds" / name).mkdir(parents=True)
        for photo in sorted((faces_dir / name).iterdir())[:2]:
            (tmp_path / "ds" / name / photo.name).symlink_to(photo)
    (tmp_path / "ds" / "angelina_jolie" / "wall.png").write_bytes(
        image_bytes(size=(200, 160), fmt="PNG", color=(90, 140, 200))
    )
    data = prepare_dataset(
        tmp_path / "ds", template=DLIB_TEMPLATE, detector=detector, cache_dir=tmp_path / "cache"
    )
    assert data.without_face == ["angelina_jolie/wall.png"]
    assert data.images == 5
    assert data.chips.shape == (4, 150, 150, 3)
    assert data.names == ["angelina_jolie", "deepface_g02"]
    assert data.labels.tolist() == [0, 0, 1, 1]
    assert "angelina_jolie/wall.png" not in data.paths


def test_chips_are_cached_by_content_and_template(small_dataset, tmp_path, detector):
    cache = tmp_path / "cache"
    detector.searched = 0
    first = prepare_dataset(small_dataset, template=DLIB_TEMPLATE, detector=detector, cache_dir=cache)
    assert detector.searched == first.images
    assert first.cached == 0
    second = prepare_dataset(small_dataset, template=DLIB_TEMPLATE, detector=detector, cache_dir=cache)
    assert detector.searched == first.images  # nothing detected again
    assert second.cached == second.images
    assert np.array_equal(first.chips, second.chips)
    assert first.fingerprint == second.fingerprint
    # The aligned chip is the pipeline's chip: a face, not a blank.
    assert first.chips.std() > 20


def test_a_changed_file_is_detected_again_and_changes_the_fingerprint(tmp_path, faces_dir, detector):
    for name in ("angelina_jolie", "deepface_g02"):
        (tmp_path / "ds" / name).mkdir(parents=True)
        photo = sorted((faces_dir / name).iterdir())[0]
        (tmp_path / "ds" / name / "a.jpg").write_bytes(photo.read_bytes())
    kwargs = {"template": DLIB_TEMPLATE, "detector": detector, "cache_dir": tmp_path / "cache"}
    before = prepare_dataset(tmp_path / "ds", **kwargs)
    replacement = sorted((faces_dir / "angelina_jolie").iterdir())[1]
    Path(tmp_path / "ds" / "angelina_jolie" / "a.jpg").write_bytes(replacement.read_bytes())
    after = prepare_dataset(tmp_path / "ds", **kwargs)
    assert after.cached == 1
    assert after.fingerprint != before.fingerprint


def test_identity_stratified_split():
    labels = np.array([0] * 8 + [1] * 4 + [2] * 2 + [3])
    train, val = split_by_identity(labels, val_split=0.25, seed=1)
    assert sorted(train.tolist() + val.tolist()) == list(range(len(labels)))
    assert np.bincount(labels[val], minlength=4).tolist() == [2, 1, 1, 0]  # round half up: 2 images -> 1
    assert set(labels[train].tolist()) == {0, 1, 2, 3}  # every identity keeps training images
    again = split_by_identity(labels, val_split=0.25, seed=1)
    assert np.array_equal(again[1], val)
