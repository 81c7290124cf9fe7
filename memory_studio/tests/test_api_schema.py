"""The OpenAPI schema is what the API does: every operation in /api/schema/ is called, with the
owner's real data and with bad input, and every answer's status code must be documented for
that operation and its body must match the documented schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from openapi_schema_validator import OAS30ReadValidator
from rest_framework.test import APIClient

from conftest import make_image_bytes
from gallery import selectors
from gallery.tests.conftest import s3_options, storages_for
from memory_studio.tests.servers import free_port
from recognition.models import Face
from recognition.tests.conftest import person_photos

pytestmark = pytest.mark.django_db


class Checker:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.problems: list[str] = []
        self.seen: dict[tuple[str, str], set[int]] = {}

    def check(self, method: str, template: str, response: Any) -> Any:
        """Validate one answer against the operation `method template` of the schema."""
        key = (method, template)
        self.seen.setdefault(key, set()).add(response.status_code)
        operation = self.schema["paths"][template][method.lower()]
        code = str(response.status_code)
        label = f"{method} {template} → {code}"
        documented = operation["responses"].get(code)
        if documented is None:
            self.problems.append(f"{label}: undocumented (documented: {sorted(operation['responses'])})")
            return response
        content = documented.get("content")
        if not content:
            if response.content:
                self.problems.append(f"{label}: documented without a body, got {response.content[:200]!r}")
            return response
        media_type = response["Content-Type"].split(";")[0].strip()
        if media_type not in content:
            self.problems.append(f"{label}: {media_type} is not documented ({sorted(content)})")
            return response
        if not media_type.endswith("json"):
            return response  # a file (a zip download): its bytes are checked by its own tests
        body_schema = {"allOf": [content[media_type]["schema"]], "components": self.schema["components"]}
        for error in OAS30ReadValidator(body_schema).iter_errors(response.json()):
            self.problems.append(f"{label}: {error.message} at {list(error.absolute_path)}")
        return response


def upload(path_or_bytes: Any, name: str = "photo.jpg") -> SimpleUploadedFile:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    return SimpleUploadedFile(name, data)


def test_every_operation_answers_as_documented(
    user, password, faces_dir, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 2}
    api = APIClient()
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    checker = Checker(schema)
    c = checker.check
    token = c(
        "POST", "/api/auth/token/", api.post("/api/auth/token/", {"username": "alice", "password": password})
    )
    c("POST", "/api/auth/token/", api.post("/api/auth/token/", {"username": "alice", "password": "wrong"}))
    c("POST", "/api/auth/token/", api.post("/api/auth/token/", {}, format="json"))
    anonymous = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    # Photos: real face photos, indexed inline on upload.
    obama = person_photos(faces_dir, "fr_obama")
    photos = "/api/photos/"
    with django_capture_on_commit_callbacks(execute=True):  # indexing runs after the commit
        first = c("POST", photos, api.post(photos, {"image": upload(obama[1])}, format="multipart")).json()
        second = c("POST", photos, api.post(photos, {"image": upload(obama[2])}, format="multipart"))
    c("POST", photos, api.post(photos, {"image": upload(obama[2])}, format="multipart"))  # 409 duplicate
    c("POST", photos, api.post(photos, {"image": upload(b"not an image")}, format="multipart"))  # 400
    c("POST", photos, api.post(photos, {"title": "no file"}, format="multipart"))  # 400
    c("POST", photos, api.post(photos, {"title": "json"}, format="json"))  # 415
    c("POST", photos, anonymous.post(photos, {"image": upload(obama[3])}, format="multipart"))  # 401
    for page in ("", "?page=2", "?page=99", "?page=x"):
        c("GET", photos, api.get(f"{photos}{page}"))
    c("GET", photos, anonymous.get(photos))

    one = "/api/photos/{photo_id}/"
    url = f"/api/photos/{first['id']}/"
    c("GET", one, api.get(url))
    c("GET", one, api.get("/api/photos/999999/"))
    c("PATCH", one, api.patch(url, {"caption": "Speech"}, format="json"))
    c("PATCH", one, api.patch(url, {"title": "x" * 201}, format="json"))
    c("PATCH", one, api.patch("/api/photos/999999/", {"caption": "?"}, format="json"))
    c("GET", "/api/photos/{photo_id}/faces/", api.get(f"{url}faces/"))
    c("GET", "/api/photos/{photo_id}/faces/", api.get("/api/photos/999999/faces/"))

    # Albums.
    albums = "/api/albums/"
    album = c("POST", albums, api.post(albums, {"name": "Trip"}, format="json")).json()
    c("POST", albums, api.post(albums, {"name": " "}, format="json"))
    c("GET", albums, api.get(albums))
    c("GET", albums, api.get(f"{albums}?page=5"))
    a_one, a_url = "/api/albums/{album_id}/", f"/api/albums/{album['id']}/"
    c("GET", a_one, api.get(a_url))
    c("GET", a_one, api.get("/api/albums/999999/"))
    c("PATCH", a_one, api.patch(a_url, {"name": "Best trip"}, format="json"))
    c("PATCH", a_one, api.patch(a_url, {"name": ""}, format="json"))
    members, m_url = "/api/albums/{album_id}/photos/", f"{a_url}photos/"
    both = [first["id"], second.json()["id"]]
    c("POST", members, api.post(m_url, {"photo_ids": both}, format="json"))
    c("POST", members, api.post(m_url, {"photo_ids": ["x"]}, format="json"))
    c("POST", members, api.post(m_url, {"photo_ids": [999999]}, format="json"))
    c("GET", members, api.get(m_url))
    c("GET", members, api.get("/api/albums/999999/photos/"))
    download, a_download = "/api/photos/download/", "/api/albums/{album_id}/download/"
    c("POST", download, api.post(download, {"photos": both}, format="json"))
    c("POST", download, api.post(download, {"photos": [both[0], 999999]}, format="json"))  # 404
    c("POST", download, api.post(download, {"photos": []}, format="json"))  # 400
    c("GET", a_download, api.get(f"{a_url}download/"))
    c("GET", a_download, api.get("/api/albums/999999/download/"))  # 404
    order, o_url = "/api/albums/{album_id}/order/", f"{a_url}order/"
    c("PUT", order, api.put(o_url, {"photos": both[::-1]}, format="json"))
    c("PUT", order, api.put(o_url, {"photos": both[:1]}, format="json"))  # 400: not every photo
    c("PUT", order, api.put(o_url, {"photos": [999999]}, format="json"))  # 404
    c("PATCH", a_one, api.patch(a_url, {"cover": both[1], "sort_order": "oldest"}, format="json"))
    c("PATCH", a_one, api.patch(a_url, {"cover": None}, format="json"))
    member = "/api/albums/{album_id}/photos/{photo_id}/"
    c("DELETE", member, api.delete(f"{m_url}{first['id']}/"))
    c("DELETE", member, api.delete(f"{m_url}999999/"))

    reindex = "/api/photos/{photo_id}/reindex/"
    with django_capture_on_commit_callbacks(execute=True):
        c("POST", reindex, api.post(f"{url}reindex/"))  # 200 inline, with the outcome
    c("POST", reindex, api.post("/api/photos/999999/reindex/"))

    # Search: by photo (multipart) and by face (JSON).
    search = "/api/search/"
    with obama[0].open("rb") as fh:
        found = c("POST", search, api.post(search, {"image": fh}, format="multipart")).json()
    assert found["count"] == 2, found
    kept = found["query"]["id"]
    again = c("POST", search, api.post(search, {"query_id": kept, "face_index": 0}, format="json"))
    assert again.json()["query"]["id"] == kept
    c("POST", search, api.post(search, {"query_id": kept, "strictness": "strict"}, format="json"))
    c("POST", search, api.post(search, {"query_id": "not-a-kept-query"}, format="json"))  # 404
    c("POST", search, api.post(search, {"query_id": kept, "face_index": 5}, format="json"))  # 422
    face = Face.objects.filter(photo_id=first["id"]).first()
    assert face is not None
    by_face = c("POST", search, api.post(search, {"face_id": face.pk, "limit": 1}, format="json"))
    assert by_face.json()["query"] is None
    c("POST", search, api.post(search, {"face_id": 999999}, format="json"))  # 404
    blank = upload(make_image_bytes(size=(320, 240), fmt="PNG"), "blank.png")
    no_face = c("POST", search, api.post(search, {"image": blank}, format="multipart"))  # 422
    assert no_face.json()["query_faces"] == []
    with obama[0].open("rb") as fh:
        c("POST", search, api.post(search, {"image": fh, "face_index": 9}, format="multipart"))  # 422
    c("POST", search, api.post(search, {"image": upload(b"nope")}, format="multipart"))  # 400
    c("POST", search, api.post(search, {}, format="json"))  # 400

    # People: the two photos of Obama are one person once named from their faces.
    obama_faces = [
        f.pk for f in Face.objects.filter(photo_id__in=[first["id"], second.json()["id"]]).order_by("id")
    ]
    people, faces = "/api/people/", "/api/faces/"
    person = c(
        "POST", people, api.post(people, {"name": "Obama", "faces": obama_faces[:1]}, format="json")
    ).json()
    c("POST", people, api.post(people, {"name": "x", "faces": []}, format="json"))  # 400
    c("POST", people, api.post(people, {"name": "x", "faces": [999999]}, format="json"))  # 404
    c("GET", people, api.get(f"{people}?named=1&q=oba"))
    c("GET", people, api.get(f"{people}?named=perhaps"))  # 400
    p_one, p_url = "/api/people/{person_id}/", f"/api/people/{person['id']}/"
    c("GET", p_one, api.get(p_url))
    c("GET", p_one, api.get("/api/people/999999/"))
    c("PATCH", p_one, api.patch(p_url, {"birth_date": "1961-08-04"}, format="json"))
    c("PATCH", p_one, api.patch(p_url, {"birth_date": "2999-01-01"}, format="json"))  # 400
    c("GET", "/api/people/{person_id}/faces/", api.get(f"{p_url}faces/"))
    c("GET", "/api/people/{person_id}/faces/", api.get("/api/people/999999/faces/"))
    c("GET", "/api/people/{person_id}/photos/", api.get(f"{p_url}photos/"))
    c("GET", "/api/people/{person_id}/photos/", api.get("/api/people/999999/photos/"))
    confirm, reject = "/api/people/{person_id}/confirm-faces/", "/api/people/{person_id}/reject-faces/"
    c("POST", confirm, api.post(f"{p_url}confirm-faces/", {"faces": obama_faces[1:]}, format="json"))
    c("POST", confirm, api.post(f"{p_url}confirm-faces/", {"faces": "all"}, format="json"))  # 400
    c("POST", reject, api.post(f"{p_url}reject-faces/", {"faces": obama_faces[1:]}, format="json"))
    c("POST", reject, api.post(f"{p_url}reject-faces/", {"faces": [999999]}, format="json"))  # 404
    f_one = "/api/faces/{face_id}/"
    c("GET", f_one, api.get(f"{faces}{obama_faces[1]}/"))
    c("GET", f_one, api.get(f"{faces}999999/"))
    c("PATCH", f_one, api.patch(f"{faces}{obama_faces[1]}/", {"person": person["id"]}, format="json"))
    c("PATCH", f_one, api.patch(f"{faces}{obama_faces[1]}/", {"person": "someone"}, format="json"))  # 400
    c("GET", faces, api.get(f"{faces}?person={person['id']}"))
    c("GET", faces, api.get(f"{faces}?person=none&suggested=1"))
    c("GET", faces, api.get(f"{faces}?person=999999"))  # 404
    other = c(
        "POST", people, api.post(people, {"name": "Barack", "faces": obama_faces[1:]}, format="json")
    ).json()
    merge = "/api/people/{person_id}/merge/"
    c(
        "POST", merge, api.post(f"/api/people/{other['id']}/merge/", {"into": other["id"]}, format="json")
    )  # 400
    c("POST", merge, api.post(f"/api/people/{other['id']}/merge/", {"into": person["id"]}, format="json"))
    undo = "/api/people/merges/undo/"
    c("POST", undo, api.post(undo))
    c("POST", undo, api.post(undo))  # 400: nothing left to undo
    c("GET", photos, api.get(f"{photos}?person={person['id']}&person={other['id']}"))

    # Outages and limits: 503 when the database or the storage is down, 413 for a huge body.
    def database_down(**kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(selectors, "album_list_for_user", database_down)
        down = c("GET", albums, api.get(albums))
        assert down.status_code == 503
        assert down["Retry-After"] == "30"
    real_storages = settings.STORAGES
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(f"http://127.0.0.1:{free_port()}", "photos"), settings
    )
    c("POST", photos, api.post(photos, {"image": upload(obama[3])}, format="multipart"))  # 503
    settings.STORAGES = real_storages
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    c(
        "POST",
        photos,
        api.post(photos, {"image": upload(obama[3]), "caption": "x" * 2000}, format="multipart"),
    )
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

    # Album share links: the link is in the creating answer only.
    shares, s_url = "/api/albums/{album_id}/shares/", f"{a_url}shares/"
    created = {"label": "Family", "expires_in_days": 7, "password": "pw", "allow_download": False}
    share = c("POST", shares, api.post(s_url, created, format="json")).json()
    assert share["url"].startswith("http://testserver/s/")
    c("POST", shares, api.post(s_url, {"expires_in_days": 0}, format="json"))  # 400
    c("POST", shares, api.post("/api/albums/999999/shares/", {}, format="json"))  # 404
    c("GET", shares, api.get(s_url))
    c("GET", shares, api.get("/api/albums/999999/shares/"))
    s_one, s_one_url = "/api/albums/{album_id}/shares/{share_id}/", f"{s_url}{share['id']}/"
    c("GET", s_one, api.get(s_one_url))
    c("GET", s_one, api.get(f"{s_url}999999/"))
    c("PATCH", s_one, api.patch(s_one_url, {"allow_download": True, "expires_at": None}, format="json"))
    c("PATCH", s_one, api.patch(s_one_url, {"expires_in_days": "x"}, format="json"))  # 400
    c("DELETE", s_one, api.delete(s_one_url))
    c("PATCH", s_one, api.patch(s_one_url, {"label": "again"}, format="json"))  # 400: revoked
    c("DELETE", s_one, api.delete(f"{s_url}999999/"))

    # Deletions last.
    c("DELETE", a_one, api.delete(a_url))
    c("DELETE", a_one, api.delete(a_url))
    c("DELETE", one, api.delete(url))  # to the trash
    c("DELETE", one, api.delete(url))  # 404: a trashed photo is no photo here

    # The trash: the photo just deleted is in it.
    trash = "/api/trash/"
    c("GET", trash, api.get(trash))
    c("GET", trash, anonymous.get(trash))  # 401
    restore, forever, empty = "/api/trash/restore/", "/api/trash/delete/", "/api/trash/empty/"
    c("POST", restore, api.post(restore, {"photos": [first["id"]]}, format="json"))
    c("POST", restore, api.post(restore, {"photos": [first["id"]]}, format="json"))  # 404: not in it
    c("POST", restore, api.post(restore, {"photos": []}, format="json"))  # 400
    assert api.delete(url).status_code == 204  # back to the trash
    c("POST", forever, api.post(forever, {"photos": [999999]}, format="json"))  # 404
    with django_capture_on_commit_callbacks(execute=True):
        c("POST", forever, api.post(forever, {"photos": [first["id"]]}, format="json"))
        c("POST", empty, api.post(empty))
    c("POST", empty, anonymous.post(empty))  # 401
    revoke = "/api/auth/token/revoke/"
    c("POST", revoke, anonymous.post(revoke))  # 401
    c("POST", revoke, api.post(revoke))  # 204: the token stops working
    assert c("GET", photos, api.get(photos)).status_code == 401

    assert checker.problems == []
    operations = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert set(checker.seen) == operations, "every documented operation is exercised"
    for key, codes in checker.seen.items():
        assert any(200 <= s < 300 for s in codes), f"{key} never succeeded: {codes}"
        assert any(s >= 400 for s in codes), f"{key} never failed: {codes}"
    expected = {200, 201, 204, 400, 401, 404, 409, 413, 415, 422, 503}
    assert expected <= set().union(*checker.seen.values())


def test_api_errors_have_the_documented_shapes(api_client):
    """Bodies stay as they were (clients rely on them): validation errors name the field."""
    data = make_image_bytes()
    first = api_client.post("/api/photos/", {"image": upload(data)}, format="multipart").json()
    duplicate = api_client.post("/api/photos/", {"image": upload(data)}, format="multipart").json()
    assert duplicate["existing_id"] == first["id"]
    assert duplicate["image"] == [duplicate["detail"]]
    bad = api_client.post("/api/photos/", {"image": upload(b"text")}, format="multipart").json()
    assert set(bad) == {"image"}
    assert api_client.get("/api/photos/999999/").json() == {"detail": "No such photo."}


def test_unknown_api_urls_answer_json(api_client):
    response = api_client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
