from pathlib import Path

import pytest

from recognition.ml.folders import list_labelled_images

pytestmark = pytest.mark.nodb


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")


def test_person_folders_sorted_hidden_skipped_and_suffixes_filtered(tmp_path):
    for name in (
        "bob/b.jpg",
        "bob/a.PNG",
        "alice/z.jpg",
        "alice/.hidden.jpg",
        ".trash/x.jpg",
        "bob/notes.txt",
    ):
        _touch(tmp_path / name)
    _touch(tmp_path / "loose.jpg")  # not in a person folder
    every = [(i.label, i.path.name) for i in list_labelled_images(tmp_path)]
    assert every == [("alice", "z.jpg"), ("bob", "a.PNG"), ("bob", "b.jpg"), ("bob", "notes.txt")]
    images = [(i.label, i.path.name) for i in list_labelled_images(tmp_path, suffixes={".jpg", ".png"})]
    assert images == [("alice", "z.jpg"), ("bob", "a.PNG"), ("bob", "b.jpg")]


def test_missing_or_empty_folder_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        list_labelled_images(tmp_path / "missing")
    (tmp_path / "alice").mkdir()
    with pytest.raises(FileNotFoundError, match="No <person>/<image> files"):
        list_labelled_images(tmp_path)
