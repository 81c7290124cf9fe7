"""API tokens: revoked by a password change or reset and on request; optional expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def obtain(username: str, password: str) -> str:
    response = APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_changing_the_password_revokes_the_tokens(user_client, user, password):
    old = obtain("alice", password)
    assert with_token(old).get("/api/photos/").status_code == 200
    response = user_client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": "another-pass-88", "new_password2": "another-pass-88"},
    )
    assert response.status_code == 302
    refused = with_token(old).get("/api/photos/")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Token"
    assert user_client.get(reverse("gallery:photo_list")).status_code == 200  # this session stays
    new = obtain("alice", "another-pass-88")
    assert new != old
    assert with_token(new).get("/api/photos/").status_code == 200


def test_a_password_reset_by_staff_revokes_the_tokens(client, user, password, django_user_model):
    old = obtain("alice", password)
    admin = django_user_model.objects.create_superuser(username="root", password="root-pass-123")
    client.force_login(admin)
    url = reverse("admin:auth_user_password_change", args=[user.pk])  # Django names it so
    response = client.post(url, {"password1": "reset-pass-99", "password2": "reset-pass-99"})
    assert response.status_code == 302, response.content
    assert with_token(old).get("/api/photos/").status_code == 401
    assert obtain("alice", "reset-pass-99") != old


def test_a_failed_password_change_keeps_the_tokens(user_client, password):
    token = obtain("alice", password)
    response = user_client.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": "another-pass-88", "new_password2": "another-pass-88"},
    )
    assert response.status_code == 200
    assert with_token(token).get("/api/photos/").status_code == 200


def test_revoking_your_token(user, password, other_user):
    mine, theirs = obtain("alice", password), obtain("mallory", password)
    client = with_token(mine)
    response = client.post("/api/auth/token/revoke/")
    assert response.status_code == 204
    assert client.get("/api/photos/").status_code == 401
    assert client.post("/api/auth/token/revoke/").status_code == 401
    # Someone else's token is untouched; logging in again gives a new token.
    assert with_token(theirs).get("/api/photos/").status_code == 200
    assert obtain("alice", password) != mine


def test_revoking_needs_authentication():
    assert APIClient().post("/api/auth/token/revoke/").status_code == 401


def test_revoking_from_a_session_revokes_the_users_token(user_client, password):
    token = obtain("alice", password)
    assert user_client.post("/api/auth/token/revoke/").status_code == 204
    assert with_token(token).get("/api/photos/").status_code == 401


def test_tokens_never_expire_unless_a_lifetime_is_set(user, password, settings):
    token = obtain("alice", password)
    Token.objects.filter(key=token).update(created=timezone.now() - timedelta(days=3650))
    assert settings.API_TOKEN_TTL_DAYS is None
    assert with_token(token).get("/api/photos/").status_code == 200


def test_an_expired_token_is_refused_and_deleted(user, password, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    token = obtain("alice", password)
    Token.objects.filter(key=token).update(created=timezone.now() - timedelta(days=29))
    assert with_token(token).get("/api/photos/").status_code == 200
    Token.objects.filter(key=token).update(created=timezone.now() - timedelta(days=31))
    refused = with_token(token).get("/api/photos/")
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]
    assert not Token.objects.filter(key=token).exists()
    fresh = obtain("alice", password)
    assert fresh != token
    assert with_token(fresh).get("/api/photos/").status_code == 200


def test_logging_in_replaces_an_expired_token(user, password, settings):
    settings.API_TOKEN_TTL_DAYS = 1
    token = obtain("alice", password)
    Token.objects.filter(key=token).update(created=timezone.now() - timedelta(days=2))
    fresh = obtain("alice", password)
    assert fresh != token
    assert Token.objects.filter(user=user).count() == 1


def test_manage_py_changepassword_revokes_the_tokens_too(user, password, monkeypatch):
    from django.core.management import call_command

    old = obtain("alice", password)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "command-pass-77")
    call_command("changepassword", "alice")
    assert with_token(old).get("/api/photos/").status_code == 401
    assert obtain("alice", "command-pass-77") != old


def test_a_hash_upgrade_at_login_is_not_a_password_change(client, user, password, settings):
    old = obtain("alice", password)
    hashed = user.__class__.objects.get(pk=user.pk).password
    # A stronger hasher comes first: the next login re-hashes the same password, nothing else.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert client.login(username="alice", password=password)
    assert user.__class__.objects.get(pk=user.pk).password != hashed  # upgraded
    assert with_token(old).get("/api/photos/").status_code == 200
