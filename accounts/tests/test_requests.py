"""signed_in_user: the typed user of a request that passed its login check."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from accounts.requests import signed_in_user

pytestmark = pytest.mark.django_db


def test_a_signed_in_user_is_returned_and_an_anonymous_one_refused(user):
    request = RequestFactory().get("/")
    request.user = user
    assert signed_in_user(request) is user
    request.user = AnonymousUser()
    with pytest.raises(PermissionDenied):
        signed_in_user(request)
