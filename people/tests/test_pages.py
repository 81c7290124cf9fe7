"""The People pages: list, person, review queue, naming faces on the photo page, the gallery filter.
Each action is checked by its effect on the data, not by the markup."""

from __future__ import annotations

import pytest

from people.models import FaceRejection, Person
from people.services import people_params, people_refresh
from recognition.models import Face

from .conftest import MODEL, vector_near

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_people(user, identities, face_photo):
    ones = [face_photo(user, identities.face(1))[1][0] for _ in range(3)]
    twos = [face_photo(user, identities.face(2))[1][0] for _ in range(3)]
    people_refresh(owner_id=user.pk)
    return Person.objects.get(faces=ones[0]), Person.objects.get(faces=twos[0]), ones, twos


def _ids_in(response, attribute: str) -> set[int]:
    import re

    return {int(v) for v in re.findall(rf'{attribute}="(\d+)"', response.content.decode())}


def test_people_page_lists_persons_and_hides_hidden_ones(user_client, two_people):
    p1, p2, _, _ = two_people
    p2.hidden = True
    p2.save()

    page = user_client.get("/people/")
    assert page.status_code == 200
    assert _ids_in(page, "data-person-id") == {p1.pk}
    assert _ids_in(user_client.get("/people/?hidden=1"), "data-person-id") == {p2.pk}
    Person.objects.filter(pk=p1.pk).update(name="Minji")
    assert _ids_in(user_client.get("/people/?q=minj"), "data-person-id") == {p1.pk}
    assert _ids_in(user_client.get("/people/?q=nobody"), "data-person-id") == set()


def test_rename_and_birth_date_from_the_person_page(user_client, two_people):
    p1 = two_people[0]
    response = user_client.post(f"/people/{p1.pk}/", {"name": " Minji ", "birth_date": "2001-02-03"})
    assert response.status_code == 302
    p1.refresh_from_db()
    assert (p1.name, str(p1.birth_date)) == ("Minji", "2001-02-03")
    assert set(Face.objects.filter(person=p1).values_list("person_source", flat=True)) == {"confirmed"}

    bad = user_client.post(f"/people/{p1.pk}/", {"name": "Minji", "birth_date": "2999-01-01"})
    assert bad.status_code == 400
    p1.refresh_from_db()
    assert str(p1.birth_date) == "2001-02-03"


def test_hide_merge_and_undo_from_the_pages(user_client, two_people):
    p1, p2, ones, twos = two_people
    user_client.post(f"/people/{p1.pk}/hide/", {"hidden": "1"})
    assert Person.objects.get(pk=p1.pk).hidden
    user_client.post(f"/people/{p1.pk}/hide/", {})
    assert not Person.objects.get(pk=p1.pk).hidden

    response = user_client.post(f"/people/{p1.pk}/merge/", {"into": p2.pk})
    assert response.status_code == 302
    assert response["Location"] == f"/people/{p2.pk}/"
    assert set(Face.objects.filter(pk__in=[f.pk for f in ones]).values_list("person_id", flat=True)) == {
        p2.pk
    }
    assert user_client.get(f"/people/{p1.pk}/").url == f"/people/{p2.pk}/"  # merged: to the kept person

    user_client.post("/people/merges/undo/")
    assert set(Face.objects.filter(pk__in=[f.pk for f in ones]).values_list("person_id", flat=True)) == {
        p1.pk
    }
    assert set(Face.objects.filter(pk__in=[f.pk for f in twos]).values_list("person_id", flat=True)) == {
        p2.pk
    }


def test_face_actions_on_the_person_page(user_client, two_people):
    p1, p2, ones, _ = two_people
    url = f"/people/{p1.pk}/faces/"

    user_client.post(url, {"action": "reject", "faces": [ones[0].pk]})
    assert Face.objects.get(pk=ones[0].pk).person_id is None
    assert FaceRejection.objects.filter(face=ones[0], person=p1).exists()

    user_client.post(url, {"action": "cover", "faces": [ones[1].pk]})
    p1.refresh_from_db()
    assert (p1.cover_face_id, p1.cover_pinned) == (ones[1].pk, True)

    user_client.post(url, {"action": "move", "faces": [ones[2].pk], "person": p2.pk})
    assert Face.objects.get(pk=ones[2].pk).person_id == p2.pk

    user_client.post(url, {"action": "move", "faces": [ones[1].pk], "name": "Grandpa"})
    grandpa = Person.objects.get(name="Grandpa")
    assert Face.objects.get(pk=ones[1].pk).person_id == grandpa.pk

    # p1 is now empty and unnamed: gone from People
    assert user_client.get(f"/people/{p1.pk}/").status_code == 404
    nothing = user_client.post(f"/people/{grandpa.pk}/faces/", {"action": "move", "faces": [ones[1].pk]})
    assert nothing.status_code == 302
    assert Face.objects.get(pk=ones[1].pk).person_id == grandpa.pk


def test_review_queue_accepts_rejects_and_names(user, user_client, two_people, face_photo):
    p1 = two_people[0]
    Person.objects.filter(pk=p1.pk).update(name="Minji")
    params = people_params(MODEL)
    between = (params.assign_similarity + params.suggest_similarity) / 2
    minji = [f.vector() for f in Face.objects.filter(person=p1)]
    doubtful = [face_photo(user, vector_near(minji, between, seed=s))[1][0] for s in (1, 2)]
    _, (stranger,) = face_photo(user, vector_near(minji, 0.0))
    people_refresh(owner_id=user.pk)
    assert {f.suggested_person_id for f in Face.objects.filter(pk__in=[d.pk for d in doubtful])} == {p1.pk}

    page = user_client.get("/people/review/")
    assert page.status_code == 200
    assert _ids_in(page, 'name="faces" value') >= {doubtful[0].pk, doubtful[1].pk, stranger.pk}

    user_client.post("/people/review/faces/", {"action": "accept", "faces": [doubtful[0].pk]})
    user_client.post("/people/review/faces/", {"action": "reject", "faces": [doubtful[1].pk]})
    user_client.post("/people/review/faces/", {"action": "name", "faces": [stranger.pk], "name": "Neighbour"})

    assert Face.objects.get(pk=doubtful[0].pk).person_id == p1.pk
    assert Face.objects.get(pk=doubtful[0].pk).person_source == "confirmed"
    assert Face.objects.get(pk=doubtful[1].pk).person_id is None
    assert FaceRejection.objects.filter(face=doubtful[1], person=p1).exists()
    assert Person.objects.get(faces=stranger).name == "Neighbour"


def test_naming_a_face_on_the_photo_page(user, user_client, identities, face_photo, two_people):
    photo, (face,) = face_photo(user, identities.face(5))
    page = user_client.get(f"/photos/{photo.pk}/")
    assert _ids_in(page, "data-face-id") == {face.pk}

    user_client.post(f"/faces/{face.pk}/name/", {"name": "Aunt Sun"})
    aunt = Person.objects.get(name="Aunt Sun")
    assert Face.objects.get(pk=face.pk).person_id == aunt.pk
    user_client.post(f"/faces/{two_people[2][0].pk}/name/", {"name": "aunt sun"})  # same person, any case
    assert Face.objects.get(pk=two_people[2][0].pk).person_id == aunt.pk

    user_client.post(f"/faces/{face.pk}/name/", {"name": ""})
    assert Face.objects.get(pk=face.pk).person_id is None
    assert FaceRejection.objects.filter(face=face, person=aunt).exists()
    too_long = user_client.post(f"/faces/{face.pk}/name/", {"name": "x" * 101})
    assert too_long.status_code == 302
    assert Face.objects.get(pk=face.pk).person_id is None


def test_naming_a_grouped_face_names_its_whole_group(user, user_client, two_people):
    p1, p2, ones, twos = two_people
    user_client.post(f"/faces/{ones[1].pk}/name/", {"name": "Minji"})
    p1.refresh_from_db()
    assert p1.name == "Minji"
    assert Person.objects.filter(merged_into__isnull=True).count() == 2  # no third person
    assert set(Face.objects.filter(person=p1).values_list("id", flat=True)) == {f.pk for f in ones}
    assert set(Face.objects.filter(person=p1).values_list("person_source", flat=True)) == {"confirmed"}

    # The other group named with the same name: it is the same person, merged (and undoable).
    user_client.post(f"/faces/{twos[0].pk}/name/", {"name": "minji"})
    p2.refresh_from_db()
    assert p2.merged_into_id == p1.pk
    assert set(Face.objects.filter(person=p1).values_list("id", flat=True)) == {f.pk for f in ones + twos}
    # The merged person's old address leads to the kept person; for anyone else it is 404.
    assert user_client.get(f"/people/{p2.pk}/").url == f"/people/{p1.pk}/"
    user_client.post("/people/merges/undo/")
    p2.refresh_from_db()
    assert p2.merged_into_id is None
    assert user_client.get(f"/people/{p2.pk}/").status_code == 200
    assert set(Face.objects.filter(person=p2).values_list("id", flat=True)) == {f.pk for f in twos}


def test_gallery_filter_by_persons(user_client, two_people):
    p1, p2, ones, _ = two_people
    page = user_client.get(f"/?person={p1.pk}")
    assert _ids_in(page, "data-photo-id") == {f.photo_id for f in ones}
    assert _ids_in(user_client.get(f"/?person={p1.pk}&person={p2.pk}"), "data-photo-id") == set()
    assert user_client.get("/?person=abc").status_code == 404


def test_the_people_page_offers_to_name_faces_when_nothing_waits_for_review(
    user, user_client, identities, face_photo
):
    face_photo(user, identities.face(8))  # one face, nobody like it: nothing to suggest
    people_refresh(owner_id=user.pk)
    page = user_client.get("/people/").content.decode()
    assert "Name 1 face" in page
    assert "Review 0" not in page
    review = user_client.get("/people/review/").content.decode()
    assert "No suggestions to review." in review


def test_giving_a_person_a_name_someone_else_has_warns_and_points_to_merging(user_client, two_people):
    p1, p2, _, _ = two_people
    user_client.post(f"/people/{p1.pk}/", {"name": "Katy", "birth_date": ""})
    first = user_client.get(f"/people/{p1.pk}/").content.decode()
    assert "Another person is also called" not in first
    response = user_client.post(f"/people/{p2.pk}/", {"name": "katy", "birth_date": ""}, follow=True)
    assert "Another person is also called katy" in response.content.decode()
