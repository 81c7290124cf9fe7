"""Data migrations on rows made before them: face counts filled in, existing duplicates kept."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("gallery", "0002_photo_index_error_photo_index_model_and_more"), ("recognition", "0001_initial")]
AFTER = [("gallery", "0004_photo_unique_owner_hash")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    """Going back to BEFORE also unapplies every later migration of other apps (recognition's,
    People's): the tests after these ones need the whole schema again."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_face_counts_are_filled_in_and_existing_duplicates_are_kept():
    apps = _migrate(BEFORE)
    user_model = apps.get_model("accounts", "User")
    old_photo = apps.get_model("gallery", "Photo")
    old_face = apps.get_model("recognition", "Face")
    alice = user_model.objects.create(username="alice")
    bob = user_model.objects.create(username="bob")

    def photo(owner, content_hash, **fields):
        return old_photo.objects.create(
            owner=owner,
            original=f"photos/originals/{content_hash}.jpg",
            content_hash=content_hash,
            width=10,
            height=10,
            size=100,
            mime_type="image/jpeg",
            taken_at=timezone.now(),
            **fields,
        )

    first = photo(alice, "aa", index_status="indexed", index_model="m1")
    copy = photo(alice, "aa", index_status="no_faces", index_model="m1")
    another_copy = photo(alice, "aa")
    bobs = photo(bob, "aa", index_status="indexed", index_model="m2")
    for owner, target, model_key in [(alice, first, "m1"), (alice, first, "m1"), (alice, first, "old")]:
        old_face.objects.create(
            owner=owner,
            photo=target,
            model_key=model_key,
            x1=0,
            y1=0,
            x2=1,
            y2=1,
            score=1,
            dim=1,
            embedding=b"0000",
        )
    old_face.objects.create(
        owner=bob, photo=bobs, model_key="m2", x1=0, y1=0, x2=1, y2=1, score=1, dim=1, embedding=b"0000"
    )

    # The models as of AFTER: today's Photo has columns that later migrations add.
    photo_after = _migrate(AFTER).get_model("gallery", "Photo")

    rows = {p.pk: p for p in photo_after.objects.all()}
    assert len(rows) == 4  # nothing deleted
    # Faces of the model that indexed the photo; the "old" model's face is not counted.
    assert [rows[p.pk].face_count for p in (first, copy, another_copy, bobs)] == [2, 0, 0, 1]
    # The first copy keeps the uniqueness rule; the later ones are marked legacy and kept.
    assert [rows[p.pk].legacy_duplicate for p in (first, copy, another_copy, bobs)] == [
        False,
        True,
        True,
        False,
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        photo_after.objects.create(
            owner_id=alice.pk,
            content_hash="aa",
            width=1,
            height=1,
            size=1,
            mime_type="image/jpeg",
            taken_at=timezone.now(),
        )


def test_stored_size_starts_at_the_originals_size():
    """Photos stored before 0008: the quota counts their original (renditions unknown)."""
    apps = _migrate([("gallery", "0007_photo_trashed_at")])
    alice = apps.get_model("accounts", "User").objects.create(username="alice")
    old = apps.get_model("gallery", "Photo").objects.create(
        owner=alice,
        content_hash="bb",
        width=10,
        height=10,
        size=12345,
        mime_type="image/jpeg",
        taken_at=timezone.now(),
    )
    photo_after = _migrate([("gallery", "0008_photo_stored_size")]).get_model("gallery", "Photo")
    assert photo_after.objects.get(pk=old.pk).stored_size == 12345
