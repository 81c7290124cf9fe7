"""The People API: persons, their faces and photos, merges and undo, moves, rejections, the review
queue and the gallery's person filter."""

from __future__ import annotations

import pytest

from people.models import FaceRejection, Person
from people.services import people_params, people_refresh
from recognition.models import Face

from .conftest import MODEL, vector_near

pytestmark = pytest.mark.django_db


@pytest.fixture
def grouped(user, identities, face_photo):
    """Three persons of three photos each (two in one group photo) and a lone face, grouped."""
    made = {k: [face_photo(user, identities.face(k)) for _ in range(3)] for k in (1, 2)}
    group_photo, (f1, f3) = face_photo(user, identities.face(1), identities.face(3))
    made[1].append((group_photo, [f1]))
    made[3] = [face_photo(user, identities.face(3)) for _ in range(2)] + [(group_photo, [f3])]
    _, (lone,) = face_photo(user, identities.face(9))
    people_refresh(owner_id=user.pk)
    persons = {k: Person.objects.get(faces=v[0][1][0]) for k, v in made.items()}
    return {"made": made, "persons": persons, "lone": lone, "group_photo": group_photo}


def test_people_list_is_paginated_largest_first_with_counts_and_covers(api_client, grouped):
    body = api_client.get("/api/people/").json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    first = body["results"][0]
    assert first["id"] == grouped["persons"][1].pk
    assert (first["face_count"], first["photo_count"]) == (4, 4)
    assert first["name"] == ""
    assert first["hidden"] is False
    cover = first["cover_face"]
    assert set(cover) == {"id", "photo", "box", "crop_url"}
    assert Face.objects.get(pk=cover["id"]).person_id == first["id"]


def test_name_hide_birth_date_and_filters(api_client, grouped):
    p1 = grouped["persons"][1].pk
    response = api_client.patch(
        f"/api/people/{p1}/", {"name": "  김민지 ", "birth_date": "1999-03-02"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "김민지"
    assert response.json()["birth_date"] == "1999-03-02"
    api_client.patch(f"/api/people/{grouped['persons'][2].pk}/", {"hidden": True}, format="json")

    assert [p["id"] for p in api_client.get("/api/people/?named=1").json()["results"]] == [p1]
    assert [p["name"] for p in api_client.get("/api/people/?q=민지").json()["results"]] == ["김민지"]
    visible = {p["id"] for p in api_client.get("/api/people/").json()["results"]}
    assert grouped["persons"][2].pk not in visible
    hidden = [p["id"] for p in api_client.get("/api/people/?hidden=1").json()["results"]]
    assert hidden == [grouped["persons"][2].pk]
    assert api_client.get("/api/people/?hidden=all").json()["count"] == 3
    assert Face.objects.filter(person_id=p1).exclude(person_source="confirmed").count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"birth_date": "2999-01-01"}, "detail"),
        ({"birth_date": "yesterday"}, "birth_date"),
        ({"name": "x" * 101}, "name"),
        ({"hidden": "perhaps"}, "hidden"),
        ({"cover_face": "abc"}, "cover_face"),
    ],
)
def test_bad_person_updates_are_400_and_change_nothing(api_client, grouped, payload, field):
    person = grouped["persons"][1]
    response = api_client.patch(f"/api/people/{person.pk}/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    person.refresh_from_db()
    assert (person.name, person.birth_date, person.hidden) == ("", None, False)


def test_cover_face_must_be_the_persons(api_client, grouped):
    p1, p2 = grouped["persons"][1], grouped["persons"][2]
    other_face = grouped["made"][2][0][1][0]
    refused = api_client.patch(f"/api/people/{p1.pk}/", {"cover_face": other_face.pk}, format="json")
    assert refused.status_code == 400
    mine = grouped["made"][1][2][1][0]
    body = api_client.patch(f"/api/people/{p1.pk}/", {"cover_face": mine.pk}, format="json").json()
    assert body["cover_face"]["id"] == mine.pk
    p1.refresh_from_db()
    assert p1.cover_pinned
    body = api_client.patch(f"/api/people/{p1.pk}/", {"cover_face": None}, format="json").json()
    assert body["cover_face"] is not None
    assert Person.objects.get(pk=p1.pk).cover_pinned is False
    assert p2.pk != p1.pk


def test_person_faces_and_photos(api_client, grouped):
    p1 = grouped["persons"][1]
    faces = api_client.get(f"/api/people/{p1.pk}/faces/").json()
    assert faces["count"] == 4
    assert {f["person"]["id"] for f in faces["results"]} == {p1.pk}
    photos = api_client.get(f"/api/people/{p1.pk}/photos/").json()
    assert photos["count"] == 4
    assert grouped["group_photo"].pk in {p["id"] for p in photos["results"]}


def test_merge_then_undo(api_client, grouped):
    p1, p2 = grouped["persons"][1], grouped["persons"][2]
    api_client.patch(f"/api/people/{p1.pk}/", {"name": "Jisoo"}, format="json")

    merged = api_client.post(f"/api/people/{p1.pk}/merge/", {"into": p2.pk}, format="json")

    assert merged.status_code == 200, merged.content
    assert merged.json()["id"] == p2.pk
    assert merged.json()["name"] == "Jisoo"
    assert merged.json()["face_count"] == 7
    assert api_client.get(f"/api/people/{p1.pk}/").status_code == 404  # merged away
    undone = api_client.post("/api/people/merges/undo/")
    assert undone.status_code == 200
    assert undone.json()["id"] == p1.pk
    assert undone.json()["face_count"] == 4
    assert api_client.get(f"/api/people/{p2.pk}/").json()["name"] == ""
    again = api_client.post("/api/people/merges/undo/")
    assert again.status_code == 400
    assert "undo" in again.json()["detail"]


def test_merge_into_itself_or_a_missing_person(api_client, grouped):
    p1 = grouped["persons"][1]
    assert api_client.post(f"/api/people/{p1.pk}/merge/", {"into": p1.pk}, format="json").status_code == 400
    assert api_client.post(f"/api/people/{p1.pk}/merge/", {"into": 999999}, format="json").status_code == 404
    assert api_client.post(f"/api/people/{p1.pk}/merge/", {}, format="json").status_code == 400


def test_move_a_face_and_remove_it(api_client, grouped):
    p1, p2 = grouped["persons"][1], grouped["persons"][2]
    face = grouped["made"][1][0][1][0]

    moved = api_client.patch(f"/api/faces/{face.pk}/", {"person": p2.pk}, format="json")
    assert moved.status_code == 200
    assert moved.json()["person"] == {"id": p2.pk, "name": ""}
    assert moved.json()["person_source"] == "manual"
    assert FaceRejection.objects.filter(face=face, person=p1).exists()

    removed = api_client.patch(f"/api/faces/{face.pk}/", {"person": None}, format="json")
    assert removed.json()["person"] is None
    assert FaceRejection.objects.filter(face=face, person=p2).exists()
    people_refresh(owner_id=face.owner_id)
    face.refresh_from_db()
    assert face.person_id not in {p1.pk, p2.pk}


def test_reject_and_confirm_faces_and_the_review_queue(api_client, grouped, user, identities, face_photo):
    p1 = grouped["persons"][1]
    api_client.patch(f"/api/people/{p1.pk}/", {"name": "Minji"}, format="json")
    # A face a little too far from Minji to be assigned, close enough to be suggested.
    params = people_params(MODEL)
    between = (params.assign_similarity + params.suggest_similarity) / 2
    minji = [face.vector() for face in Face.objects.filter(person=p1)]
    _, (doubtful,) = face_photo(user, vector_near(minji, between))
    people_refresh(owner_id=user.pk)
    doubtful.refresh_from_db()
    assert doubtful.person_id is None
    assert doubtful.suggested_person_id == p1.pk

    queue = api_client.get("/api/faces/?person=none&suggested=1").json()
    assert [f["id"] for f in queue["results"]] == [doubtful.pk]
    assert queue["results"][0]["suggested_person"] == {"id": p1.pk, "name": "Minji"}
    unassigned = api_client.get("/api/faces/?person=none").json()
    assert {f["id"] for f in unassigned["results"]} == {doubtful.pk, grouped["lone"].pk}

    accepted = api_client.post(f"/api/people/{p1.pk}/confirm-faces/", {"faces": [doubtful.pk]}, format="json")
    assert accepted.json()["face_count"] == 5
    doubtful.refresh_from_db()
    assert doubtful.person_source == "confirmed"

    rejected = api_client.post(f"/api/people/{p1.pk}/reject-faces/", {"faces": [doubtful.pk]}, format="json")
    assert rejected.json()["face_count"] == 4
    assert api_client.get("/api/faces/?person=none&suggested=1").json()["count"] == 0


def test_create_a_person_from_faces(api_client, grouped):
    lone = grouped["lone"]
    response = api_client.post("/api/people/", {"name": "Grandma", "faces": [lone.pk]}, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == "Grandma"
    assert response.json()["face_count"] == 1
    assert api_client.post("/api/people/", {"name": "x", "faces": []}, format="json").status_code == 400
    assert api_client.post("/api/people/", {"name": "x", "faces": [999999]}, format="json").status_code == 404


def test_gallery_filters_photos_by_persons_together(api_client, grouped):
    p1, p3 = grouped["persons"][1], grouped["persons"][3]
    alone = api_client.get(f"/api/photos/?person={p1.pk}").json()
    assert alone["count"] == 4
    together = api_client.get(f"/api/photos/?person={p1.pk}&person={p3.pk}").json()
    assert [p["id"] for p in together["results"]] == [grouped["group_photo"].pk]
    assert api_client.get("/api/photos/?person=abc").status_code == 404


def test_photo_faces_and_search_hits_carry_person_names(api_client, grouped):
    p1 = grouped["persons"][1]
    api_client.patch(f"/api/people/{p1.pk}/", {"name": "Minji"}, format="json")
    photo = grouped["group_photo"]
    faces = api_client.get(f"/api/photos/{photo.pk}/faces/").json()["results"]
    names = {f["person"]["name"] if f["person"] else None for f in faces}
    assert "Minji" in names
