"""The signed-in user of a request, typed: for views whose login check has already passed."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import User


def signed_in_user(request: HttpRequest | Request) -> User:
    """`request.user` as a `User`. Views call it behind login_required / IsAuthenticated; an
    anonymous user reaching it (a view without its check) is refused, never served."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
