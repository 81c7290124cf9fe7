"""People and the trash: faces on trashed photos are neither grouped nor used to group, and come
back, with their persons, when the photo is restored."""

from __future__ import annotations

import pytest

from gallery.services import photos_restore, photos_trash
from people import selectors
from people.models import Person
from people.services import people_refresh, person_update
from recognition.models import Face

from .conftest import MODEL

pytestmark = pytest.mark.django_db


def test_a_trashed_photos_face_is_left_out_of_grouping_until_restored(user, identities, face_photo):
    made = [face_photo(user, identities.face(1)) for _ in range(3)]
    binned_photo, (binned_face,) = made[0]
    photos_trash(owner=user, photos=[binned_photo])

    people_refresh(owner_id=user.pk)

    # Two faces outside the trash: below the three a new person needs; the trashed one untouched.
    assert not Person.objects.exists()
    binned_face.refresh_from_db()
    assert (binned_face.person_id, binned_face.grouped_at) == (None, None)

    photos_restore(owner=user, photos=[binned_photo])
    people_refresh(owner_id=user.pk)

    person = Person.objects.get()
    assert set(Face.objects.filter(person=person).values_list("photo_id", flat=True)) == {
        photo.pk for photo, _ in made
    }


def test_a_named_person_keeps_a_trashed_face_and_shows_it_again_after_restore(user, identities, face_photo):
    made = [face_photo(user, identities.face(1)) for _ in range(4)]
    people_refresh(owner_id=user.pk)
    person = Person.objects.get()
    person_update(person=person, name="민지")
    binned_photo, (binned_face,) = made[0]

    photos_trash(owner=user, photos=[binned_photo])
    people_refresh(owner_id=user.pk)

    listed = selectors.person_get_for_user(user=user, person_id=person.pk, model_key=MODEL)
    assert getattr(listed, "photo_count", None) == 3
    assert binned_face.pk not in {f.pk for f in selectors.person_faces(person=person, model_key=MODEL)}
    assert binned_photo.pk not in set(
        selectors.person_photos(person=person, model_key=MODEL).values_list("pk", flat=True)
    )
    person.refresh_from_db()
    assert person.cover_face_id != binned_face.pk
    binned_face.refresh_from_db()
    assert binned_face.person_id == person.pk  # kept while in the trash

    photos_restore(owner=user, photos=[binned_photo])

    listed = selectors.person_get_for_user(user=user, person_id=person.pk, model_key=MODEL)
    assert getattr(listed, "photo_count", None) == 4
    assert listed.name == "민지"
    assert binned_face.pk in {f.pk for f in selectors.person_faces(person=person, model_key=MODEL)}
