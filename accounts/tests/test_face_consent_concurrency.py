"""Turning face recognition off for one user while another searches, on PostgreSQL (one
connection per thread, real row locks): the one user's faces leave every answer at once, the
other's answers never change."""

from __future__ import annotations

import threading

import pytest

from accounts.services import user_face_recognition_set
from recognition import index
from recognition.selectors import face_search
from recognition.services import photo_faces_replace
from recognition.tests.test_face_index import _faces, _photo

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

MODEL = "dlib-resnet"


def test_turning_off_for_a_while_b_searches_leaves_b_unchanged(user, other_user):
    from django.db import connection

    for n in range(3):
        for owner in (user, other_user):
            photo = _photo(owner, f"{owner.username}{n}.jpg")
            photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=_faces([1, 0.05 * n, 0]))
    index.clear_cache()

    def answer(owner):
        hits = face_search(user=owner, vector=[1, 0, 0], model_key=MODEL, min_similarity=0.5, limit=10)
        return sorted((h.photo.pk, h.face.pk) for h in hits)

    b_before, a_before = answer(other_user), answer(user)
    assert len(b_before) == 3
    assert len(a_before) == 3
    stop = threading.Event()
    b_answers: list[list[tuple[int, int]]] = []
    errors: list[BaseException] = []

    def search_as_b():
        try:
            while not stop.is_set():
                b_answers.append(answer(other_user))
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            errors.append(exc)
        finally:
            connection.close()

    searcher = threading.Thread(target=search_as_b, name="b-searches")
    searcher.start()
    try:
        while len(b_answers) < 5:
            pass
        user_face_recognition_set(user=user, enabled=False)
        seen = len(b_answers)
        while len(b_answers) < seen + 5:
            pass
    finally:
        stop.set()
        searcher.join(30)

    assert not errors
    assert all(a == b_before for a in b_answers)
    assert answer(user) == []
    assert index.face_matrix(owner_id=user.pk, model_key=MODEL) is None
