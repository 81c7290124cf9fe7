"""The exports admin: staff see every export's state; deleting one removes its zip; one being made
cannot be deleted."""

from __future__ import annotations

import pytest

from exports.models import Export
from exports.tests.conftest import stored_names

pytestmark = pytest.mark.django_db


def test_staff_list_exports_and_delete_a_finished_one_with_its_zip(
    admin_client, user, photo_factory, local_storage, run_export, django_capture_on_commit_callbacks
):
    photo_factory()
    done = run_export(user)
    running = Export.objects.create(owner=user, status=Export.Status.RUNNING)
    listing = admin_client.get("/admin/exports/export/")
    assert listing.status_code == 200
    assert user.username in listing.content.decode()
    assert admin_client.get("/admin/exports/export/add/").status_code == 403

    assert admin_client.get(f"/admin/exports/export/{running.pk}/delete/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/exports/export/{done.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert list(Export.objects.all()) == [running]
    assert stored_names(local_storage, "exports") == set()
