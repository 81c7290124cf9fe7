"""The trash's core: moving photos in and out of it, and what the owner-scoped selector lists."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from gallery import selectors, services
from gallery.models import Photo

pytestmark = pytest.mark.django_db


def test_trashed_photos_leave_the_list_and_come_back_on_restore(user: Any, photo_factory: Any) -> None:
    kept, binned = photo_factory(), photo_factory()

    assert services.photos_trash(owner=user, photos=[binned]) == 1

    assert list(selectors.photo_list_for_user(user=user)) == [kept]
    assert list(selectors.photo_list_for_user(user=user, trashed=True)) == [binned]
    binned.refresh_from_db()
    assert binned.trashed_at is not None
    assert services.photos_restore(owner=user, photos=[binned]) == 1
    assert set(selectors.photo_list_for_user(user=user)) == {kept, binned}
    assert not selectors.photo_list_for_user(user=user, trashed=True).exists()


def test_trashing_twice_keeps_the_first_date(user: Any, photo_factory: Any) -> None:
    photo = photo_factory()
    services.photos_trash(owner=user, photos=[photo])
    first = Photo.objects.get(pk=photo.pk).trashed_at

    assert services.photos_trash(owner=user, photos=[photo]) == 0
    assert Photo.objects.get(pk=photo.pk).trashed_at == first


def test_another_users_photo_is_refused_and_nothing_moves(
    user: Any, other_user: Any, photo_factory: Any
) -> None:
    mine, theirs = photo_factory(), photo_factory(owner=other_user)

    with pytest.raises(PermissionDenied):
        services.photos_trash(owner=user, photos=[mine, theirs])

    assert Photo.objects.trashed().count() == 0
