from pathlib import Path

import numpy as np
import pytest

from recognition.ml.alignment import DLIB_TEMPLATE, align_face
from recognition.ml.detection import FaceDetector
from recognition.tests.composites import subject_with_cut_neighbour
from training.config import build_config
from training.data import (
    DatasetError,
    FaceDataset,
    check_validation_size,
    list_images,
    prepare_dataset,
    same_person_pairs,
    split_identities,
    split_images,
)
from training.validation import split_for_validation

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


def test_the_chip_is_of_the_face_the_photo_is_about_not_a_larger_one_cut_by_the_frame(
    tmp_path, faces_dir, detector
):
    (tmp_path / "ds" / "angelina_jolie").mkdir(parents=True)
    (tmp_path / "ds" / "fr_obama").mkdir(parents=True)
    photo = subject_with_cut_neighbour(
        detector, faces_dir / "angelina_jolie" / "img10.jpg", faces_dir / "fr_obama" / "examples_obama.jpg"
    )
    photo.save(tmp_path / "ds" / "angelina_jolie" / "a.png")
    (tmp_path / "ds" / "fr_obama" / "b.jpg").symlink_to(faces_dir / "fr_obama" / "test_obama1.jpg")
    data = prepare_dataset(
        tmp_path / "ds", template=DLIB_TEMPLATE, detector=detector, cache_dir=tmp_path / "c"
    )
    assert data.paths[0] == "angelina_jolie/a.png"
    faces = detector.predict([photo])[0]
    assert len(faces) == 2
    central = min(faces, key=lambda face: abs((face.box[0] + face.box[2]) / 2 - photo.width / 2))
    assert faces[0] is not central  # the largest face is the neighbour
    assert np.array_equal(data.chips[0], align_face(photo, central.landmarks, DLIB_TEMPLATE))


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


def test_per_image_split_on_request():
    labels = np.array([0] * 8 + [1] * 4 + [2] * 2 + [3])
    train, val = split_images(labels, val_split=0.25, seed=1)
    assert sorted(train.tolist() + val.tolist()) == list(range(len(labels)))
    assert np.bincount(labels[val], minlength=4).tolist() == [2, 1, 1, 0]  # round half up: 2 images -> 1
    assert set(labels[train].tolist()) == {0, 1, 2, 3}  # every identity keeps training images
    again = split_images(labels, val_split=0.25, seed=1)
    assert np.array_equal(again[1], val)


# 12 identities: 10 with 2+ images, 2 with one.
LABELS = np.repeat(np.arange(12), [9, 8, 7, 6, 6, 5, 5, 5, 4, 4, 1, 1])


def _dataset(labels: np.ndarray) -> FaceDataset:
    n = int(labels.max()) + 1
    return FaceDataset(
        chips=np.zeros((len(labels), 4, 4, 3), np.uint8),
        labels=labels.astype(np.int64),
        names=[f"person{i:02d}" for i in range(n)],
        paths=[f"person{label:02d}/{i}.jpg" for i, label in enumerate(labels)],
        fingerprint="0" * 64,
        images=len(labels),
    )


def test_default_split_holds_out_whole_identities():
    config = build_config()
    assert config.val_mode == "identities"
    split = split_for_validation(_dataset(LABELS), config)
    train_people, val_people = set(LABELS[split.train].tolist()), set(LABELS[split.val].tolist())
    assert not train_people & val_people  # no validation identity has a training image
    assert sorted(split.train.tolist() + split.val.tolist()) == list(range(len(LABELS)))
    # A quarter of the 10 identities with 2+ images (2.5, rounded half up), all their images.
    assert len(val_people) == 3
    counts = np.bincount(LABELS, minlength=12)
    assert (
        np.bincount(LABELS[split.val], minlength=12)[sorted(val_people)].tolist()
        == counts[sorted(val_people)].tolist()
    )
    assert {10, 11} <= train_people  # one-image identities give no pair: they train
    assert split.summary["held_out_identities"] == [f"person{p:02d}" for p in sorted(val_people)]
    assert split.summary["threshold_from"] == "unseen identities"
    assert split.summary["positive_pairs"] == same_person_pairs(LABELS[split.val]) >= 20
    # The head learns the training identities only, in order.
    assert split.train_names == [f"person{p:02d}" for p in sorted(train_people)]
    assert [split.head_label[p] for p in sorted(train_people)] == list(range(len(train_people)))
    assert all(split.head_label[p] == -1 for p in val_people)
    # Deterministic per seed; another seed holds out other people.
    assert np.array_equal(split_for_validation(_dataset(LABELS), config).val, split.val)
    other = split_for_validation(_dataset(LABELS), build_config(overrides={"seed": 1}))
    assert not np.array_equal(other.val, split.val)


def test_identity_split_by_count_keeps_two_identities_to_train():
    train, val = split_identities(LABELS, val_identities=4, seed=0)
    assert len(np.unique(LABELS[val])) == 4
    assert not set(LABELS[train].tolist()) & set(LABELS[val].tolist())
    train, val = split_identities(LABELS, val_identities=50, seed=0)
    assert len(np.unique(LABELS[val])) == 10  # every identity with 2+ images...
    assert len(np.unique(LABELS[train])) == 2  # ...while 2 are left to train on
    train, val = split_identities(np.repeat(np.arange(3), 4), val_identities=5, seed=0)
    assert len(np.unique(np.repeat(np.arange(3), 4)[val])) == 1


def test_too_small_validation_is_refused_with_the_reason():
    with pytest.raises(DatasetError, match=r"1 identity.*it needs at least 2 identities"):
        check_validation_size(np.array([0, 0, 0]), min_pairs=1, how="test")
    with pytest.raises(DatasetError, match=r"0 same-person pair.*at least 2 identities and 1 same-person"):
        check_validation_size(np.array([0, 1, 2]), min_pairs=1, how="test")
    with pytest.raises(
        DatasetError, match=r"4 same-person pair\(s\), fewer than min_val_pairs=20.*meaningless"
    ):
        check_validation_size(np.array([0, 0, 0, 1, 1, 2]), min_pairs=20, how="test")
    check_validation_size(np.array([0, 0, 0, 1, 1, 2]), min_pairs=4, how="test")  # accepted knowingly
    # Three people: one held out is not a validation set; the run is refused before training.
    small = np.repeat(np.arange(3), [9, 6, 5])
    with pytest.raises(DatasetError, match="1 whole identities held out"):
        split_for_validation(_dataset(small), build_config())
    # The per-image split of so few people gives too few pairs for the default minimum.
    with pytest.raises(DatasetError, match="fewer than min_val_pairs=20"):
        split_for_validation(_dataset(small), build_config(overrides={"val_mode": "images"}))


def test_default_validation_of_the_bundled_photos(faces_dir):
    """What the README says a default run on the bundled photos validates on (every photo has a face)."""
    items = list_images(faces_dir)
    names = sorted({item.label for item in items})
    labels = np.array([names.index(item.label) for item in items])
    split = split_for_validation(_dataset(labels), build_config())
    eligible = int((np.bincount(labels) >= 2).sum())
    summary = split.summary
    assert (eligible, summary["identities"], summary["images"], summary["positive_pairs"]) == (28, 7, 30, 59)
    assert (len(split.train), len(split.train_names)) == (96, 27)
