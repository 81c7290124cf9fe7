"""Photo and album URLs at their edges: ids beyond what the database can hold are simply not
found (Django 5.2 turns an out-of-range integer lookup into an empty result on every backend;
nothing catches an OverflowError), and originals keep their names, in any script."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

HUGE = [2**63, 2**70, 10**30]


@pytest.mark.parametrize("huge", HUGE)
def test_pages_and_api_answer_404_for_ids_beyond_64_bits(user_client, api_client, huge):
    for url in (f"/photos/{huge}/", f"/albums/{huge}/", f"/media/photos/{huge}/thumbnail/"):
        assert user_client.get(url).status_code == 404, url
    for url in (f"/api/photos/{huge}/", f"/api/albums/{huge}/", f"/api/albums/{huge}/photos/"):
        assert api_client.get(url).status_code == 404, url


def test_the_original_keeps_its_name_in_the_answer_even_when_it_is_not_ascii(user, user_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from conftest import make_image_bytes
    from gallery.services import photo_create

    photo = photo_create(owner=user, upload=SimpleUploadedFile("가족 사진.jpg", make_image_bytes()))
    response = user_client.get(f"/media/photos/{photo.pk}/original/")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline")
    assert "filename*=utf-8''%EA%B0%80%EC%A1%B1%20%EC%82%AC%EC%A7%84.jpg" in disposition
    assert b"".join(response.streaming_content) == photo.original.open("rb").read()
