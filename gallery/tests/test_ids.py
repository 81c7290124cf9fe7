"""Ids beyond what the database can hold are simply not found (Django 5.2 turns an out-of-range
integer lookup into an empty result on every backend; nothing catches an OverflowError)."""

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
