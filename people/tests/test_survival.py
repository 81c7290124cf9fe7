"""What the user did in People survives re-indexing with the same model and a switch to a model
fine-tuned by `train_arcface`: every name, rejection, confirmed and moved face."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command

from people import services
from people.models import FaceRejection, Person
from people.services import people_refresh
from recognition.models import Face
from recognition.runtime import active_model_key, reset_pipeline
from recognition.tests.conftest import person_photos, upload_photo  # noqa: F401 (fixture)
from training.tests.conftest import chip_cache, small_dataset  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

IDENTITIES = ("deepface_g02", "deepface_g03", "deepface_g10")


def _decisions(owner: Any) -> dict[tuple[int, tuple[int, ...]], tuple[str, str, frozenset[str]]]:
    """The user's decisions on the active model's faces, keyed by photo and (rounded) box:
    (person name, how it got there, names of the persons it is not)."""
    out = {}
    for face in Face.objects.filter(owner=owner, model_key=active_model_key()).select_related("person"):
        rejected = frozenset(FaceRejection.objects.filter(face=face).values_list("person__name", flat=True))
        decided = face.person_source in ("confirmed", "manual")
        if decided or rejected:
            key = (face.photo_id, tuple(round(v / 4) for v in face.box))
            name = face.person.name if decided and face.person else ""
            out[key] = (name, face.person_source if decided else "", rejected)
    return out


def _train_checkpoint(dataset: Path, cache: Path, tmp_path: Path) -> Path:
    output = tmp_path / "finetuned.pt"
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
        "--min-val-pairs",
        "5",  # a per-image split of 3 people: too small to choose on, enough to make a checkpoint
        "--seed",
        "3",
        "--epochs",
        "1",
        "--lr",
        "1e-3",
        "--head-warmup-epochs",
        "0",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    return output.with_name("finetuned.last.pt")  # the trained weights, whichever epoch won


def test_names_rejections_and_moves_survive_reindexing_and_a_model_change(
    user,
    faces_dir,
    upload_photo,  # noqa: F811 (the imported fixture)
    settings,
    small_dataset,  # noqa: F811
    chip_cache,  # noqa: F811
    tmp_path,
):
    reset_pipeline()
    for identity in IDENTITIES:
        for path in person_photos(faces_dir, identity)[:4]:
            upload_photo(user, path)
    people_refresh(owner_id=user.pk)
    persons = sorted((p for p in Person.objects.filter(owner=user) if p.faces.exists()), key=lambda p: p.pk)
    assert len(persons) == 3
    minji, jisoo, third = persons
    services.person_update(person=minji, name="Minji")
    services.person_update(person=jisoo, name="Jisoo")
    services.person_merge(source=third, target=jisoo)  # the user says they are one person
    minji_faces = list(Face.objects.filter(person=minji).order_by("id"))
    services.faces_reject(person=minji, faces=[minji_faces[0]])
    services.faces_move(owner=user, faces=[minji_faces[1]], person=Person.objects.get(pk=jisoo.pk))
    before = _decisions(user)
    assert len(before) == 12  # 11 named-and-confirmed or moved faces + the rejected one
    first_model = active_model_key()

    call_command("reindex_faces", stdout=io.StringIO(), stderr=io.StringIO())

    assert _decisions(user) == before
    assert set(Person.objects.filter(owner=user).exclude(name="").values_list("name", flat=True)) == {
        "Minji",
        "Jisoo",
    }

    checkpoint = _train_checkpoint(small_dataset, chip_cache, tmp_path)
    settings.RECOGNITION_MODEL = str(checkpoint)
    reset_pipeline()
    try:
        call_command("reindex_faces", "--missing-only", stdout=io.StringIO(), stderr=io.StringIO())
        new_model = active_model_key()
        assert new_model.startswith("ckpt:finetuned.last:")
        assert new_model != first_model
        old = {f.photo_id: f.vector() for f in Face.objects.filter(model_key=first_model)}
        new = {f.photo_id: f.vector() for f in Face.objects.filter(model_key=new_model)}
        assert set(new) == set(old)
        assert any(not np.allclose(old[k], new[k], atol=1e-4) for k in new)  # really another model

        assert _decisions(user) == before
        # Grouping with the new embeddings keeps the user's persons and does not add a fourth.
        assert Person.objects.filter(owner=user, merged_into__isnull=True).exclude(name="").count() == 2
        services.person_merge_undo(owner=user)
        assert Face.objects.filter(model_key=new_model, person=third).count() == 4
    finally:
        reset_pipeline()
