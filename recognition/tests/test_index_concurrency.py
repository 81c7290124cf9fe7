"""Concurrent writers of one owner's faces, on PostgreSQL (real row locks, one connection per
thread): they are serialised, so face ids become visible in increasing order and a snapshot
refreshed with "the rows after its last id" never misses a face."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from people.services import faces_carry_over as real_carry_over
from recognition import index
from recognition.models import Face
from recognition.services import photo_faces_replace
from recognition.tests.test_face_index import MODEL, _faces, _photo

# SQLite has no row locks (select_for_update is a no-op; a writer locks the whole file), so the
# rule under test exists only on PostgreSQL.
pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _backend_waits_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def test_writers_of_one_owner_make_face_ids_visible_in_order(user, monkeypatch):
    first, photo_a, photo_b = (_photo(user, name) for name in ("first.jpg", "a.jpg", "b.jpg"))
    photo_faces_replace(photo_id=first.pk, model_key=MODEL, faces=_faces([1, 0, 0]))
    index.clear_cache()
    before = index.face_matrix(owner_id=user.pk, model_key=MODEL)
    assert before is not None

    # Writer A stops inside its transaction, after inserting its faces (ids taken, not committed).
    a_inside, release_a = threading.Event(), threading.Event()

    def carry_over(**kwargs):
        if threading.current_thread().name == "writer-a":
            a_inside.set()
            assert release_a.wait(60)
        return real_carry_over(**kwargs)

    monkeypatch.setattr("recognition.services.faces_carry_over", carry_over)
    b_pid: list[int] = []
    errors: list[BaseException] = []

    def write(photo, vector):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                b_pid.append(cursor.fetchone()[0])
            photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=_faces(vector))
        except BaseException as exc:
            errors.append(exc)
            raise
        finally:
            connection.close()

    writer_a = threading.Thread(target=write, args=(photo_a, [0, 1, 0]), name="writer-a")
    writer_a.start()
    try:
        assert a_inside.wait(60), errors
        b_pid.clear()
        writer_b = threading.Thread(target=write, args=(photo_b, [0, 0, 1]), name="writer-b")
        writer_b.start()
        # B must wait for A's locks: see it blocked on a lock (or finished, if nothing stops it).
        for _ in range(1200):  # a guard against a hang, not a timing requirement
            if not writer_b.is_alive() or (b_pid and _backend_waits_on_a_lock(b_pid[0])):
                break
            time.sleep(0.05)
        else:
            pytest.fail("writer B neither finished nor waited on a lock")
        # A reader meanwhile refreshes its snapshot.
        during = index.face_matrix(owner_id=user.pk, model_key=MODEL)
    finally:
        release_a.set()
        writer_a.join(60)
    writer_b.join(60)
    assert not errors
    assert during is not None
    assert list(during.face_ids) == list(before.face_ids)  # nothing uncommitted, nothing of B's

    a_ids = list(Face.objects.filter(photo=photo_a, model_key=MODEL).values_list("id", flat=True))
    b_ids = list(Face.objects.filter(photo=photo_b, model_key=MODEL).values_list("id", flat=True))
    assert len(a_ids) == len(b_ids) == 1
    assert max(a_ids) < min(b_ids)
    # The reader's snapshot, refreshed with the rows after its last id, has every stored face.
    after = index.face_matrix(owner_id=user.pk, model_key=MODEL)
    assert after is not None
    stored = Face.objects.filter(owner=user, model_key=MODEL).values_list("id", flat=True)
    assert sorted(after.face_ids.tolist()) == sorted(stored)
