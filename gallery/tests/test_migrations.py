"""Data migrations on rows made before them: face counts filled in, existing duplicates kept."""

from __future__ import annotations

import datetime as dt

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


def test_album_photos_keep_their_rows_and_are_numbered_newest_taken_first():
    """0009 turns Album.photos into the AlbumPhoto through model on the same table."""
    apps = _migrate([("gallery", "0007_photo_trashed_at")])
    user_model = apps.get_model("accounts", "User")
    old_photo = apps.get_model("gallery", "Photo")
    old_album = apps.get_model("gallery", "Album")
    alice = user_model.objects.create(username="alice")
    start = timezone.now()

    def photo(n, minutes):
        return old_photo.objects.create(
            owner=alice,
            original=f"photos/originals/{n}.jpg",
            content_hash=f"{n:064d}",
            width=10,
            height=10,
            size=100,
            mime_type="image/jpeg",
            taken_at=start + dt.timedelta(minutes=minutes),
        )

    old, new, same_a, same_b = photo(1, 0), photo(2, 60), photo(3, 30), photo(4, 30)
    trip = old_album.objects.create(owner=alice, name="Trip")
    trip.photos.add(old, new, same_a, same_b)
    other = old_album.objects.create(owner=alice, name="Other")
    other.photos.add(old)
    rows_before = set(old_album.photos.through.objects.values_list("id", "album_id", "photo_id"))

    _migrate([("gallery", "0009_album_photo_order_cover")])

    from gallery.models import Album, AlbumPhoto

    assert set(AlbumPhoto.objects.values_list("id", "album_id", "photo_id")) == rows_before
    positions = list(
        AlbumPhoto.objects.filter(album_id=trip.pk).order_by("position").values_list("photo_id", "position")
    )
    # Newest taken first (ties: the higher id first), as the album was shown before.
    assert positions == [(new.pk, 0), (same_b.pk, 1), (same_a.pk, 2), (old.pk, 3)]
    assert list(AlbumPhoto.objects.filter(album_id=other.pk).values_list("position", flat=True)) == [0]
    migrated = Album.objects.get(pk=trip.pk)
    assert (migrated.sort_order, migrated.cover_id) == ("manual", None)
    assert list(migrated.photos.order_by("album_memberships__position").values_list("pk", flat=True)) == [
        new.pk,
        same_b.pk,
        same_a.pk,
        old.pk,
    ]


def test_stored_size_starts_at_the_originals_size():
    """Photos stored before 0011: the quota counts their original (renditions unknown)."""
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
    photo_after = _migrate([("gallery", "0011_photo_stored_size")]).get_model("gallery", "Photo")
    assert photo_after.objects.get(pk=old.pk).stored_size == 12345
