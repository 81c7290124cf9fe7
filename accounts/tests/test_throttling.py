"""Limits on password guessing (login form and token API) and on searches."""

from __future__ import annotations

import re
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.throttling import login_attempt
from memory_studio.env import env_cache, env_rate

A, B = "10.0.0.1", "10.0.0.2"


def rates(settings, **scopes: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **scopes},
    }


def token(username: str, password: str, ip: str):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


def login(client, username: str, password: str, ip: str):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.mark.django_db
def test_the_defaults_are_20_failures_per_address_and_50_per_username(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login_ip"] == "20/hour"
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login_username"] == "50/day"


@pytest.mark.django_db
def test_token_api_20_wrong_passwords_then_429(user, other_user, password):
    for _ in range(20):
        assert token("alice", "wrong-guess", A).status_code == 400
    refused = token("alice", password, A)  # even the right password: not checked any more
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "Too many failed login attempts" in refused.json()["detail"]
    assert token("mallory", password, A).status_code == 429  # the address is refused
    # The right password from another address works, for this user and another.
    assert token("alice", password, B).status_code == 200
    assert token("mallory", password, B).status_code == 200


@pytest.mark.django_db
def test_login_form_20_wrong_passwords_then_429(client, user, other_user, password):
    for _ in range(20):
        response = login(client, "alice", "wrong-guess", A)
        assert response.status_code == 200
        assert b"correct username and password" in response.content
    refused = login(client, "alice", password, A)
    assert refused.status_code == 429
    assert "Too many failed login attempts. Try again in" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "_auth_user_id" not in client.session
    assert login(client, "alice", password, B).status_code == 302
    assert login(APIClient(), "mallory", password, B).status_code == 302


@pytest.mark.django_db
def test_the_form_and_the_api_share_the_count(client, user, password):
    for _ in range(10):
        login(client, "alice", "wrong-guess", A)
        token("alice", "wrong-guess", A)
    assert token("alice", password, A).status_code == 429
    assert login(client, "alice", password, A).status_code == 429


@pytest.mark.django_db
def test_a_username_is_limited_across_addresses_without_telling_whether_it_exists(
    client, user, other_user, password, settings
):
    rates(settings, login_ip="1000/hour", login_username="5/hour")
    for i in range(5):
        assert token("alice", "wrong-guess", f"10.1.0.{i}").status_code == 400
        assert token("nobody", "wrong-guess", f"10.1.0.{i}").status_code == 400
    assert token("alice", password, "10.2.0.1").status_code == 429
    assert token("ALICE ", password, "10.2.0.1").status_code == 429  # the same name, spelled otherwise
    assert token("mallory", password, "10.2.0.1").status_code == 200
    existing, missing = login(client, "alice", "x", "10.2.0.2"), login(client, "nobody", "x", "10.2.0.2")
    assert existing.status_code == missing.status_code == 429
    assert _page(existing).replace("alice", "nobody") == _page(missing)
    # The waits differ by the milliseconds between the attempts; the wording must not.
    existing_api, missing_api = (
        token("alice", "x", "10.2.0.3").json(),
        token("nobody", "x", "10.2.0.3").json(),
    )
    assert existing_api.keys() == missing_api.keys() == {"detail"}
    assert _seconds(existing_api["detail"]) == _seconds(missing_api["detail"])
    assert abs(_wait(existing_api["detail"]) - _wait(missing_api["detail"])) <= 2


def _page(response) -> str:
    return _seconds(re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode()))


def _seconds(text: str) -> str:
    return re.sub(r"\d+ seconds?", "N seconds", text)


def _wait(text: str) -> int:
    match = re.search(r"(\d+) seconds?", text)
    assert match, text
    return int(match.group(1))


@pytest.mark.django_db
def test_successful_logins_do_not_use_up_the_allowance(client, user, password, settings):
    rates(settings, login_ip="3/hour", login_username="3/hour")
    for _ in range(10):
        assert token("alice", password, A).status_code == 200
        assert login(client, "alice", password, A).status_code == 302
    assert token("alice", "wrong-guess", A).status_code == 400


@pytest.mark.nodb
def test_parallel_guesses_cannot_slip_past_the_limit(settings):
    rates(settings, login_ip="5/hour", login_username="1000/hour")
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=A)
    barrier = threading.Barrier(20)
    allowed: list[bool] = []

    def guess() -> None:
        barrier.wait()
        allowed.append(login_attempt(request, username="alice") is None)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == 5


@pytest.mark.django_db
def test_searches_are_limited_per_user(api_client, other_api_client, settings):
    rates(settings, search="3/minute")
    for _ in range(3):
        assert api_client.post("/api/search/", {}, format="json").status_code == 400  # counted too
    refused = api_client.post("/api/search/", {}, format="json")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert other_api_client.post("/api/search/", {}, format="json").status_code == 400


@pytest.mark.django_db
def test_search_refuses_a_body_over_max_upload_bytes_before_reading_it(api_client, settings, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.parsers import MultiPartParser

    def never(*args, **kwargs):
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(MultiPartParser, "parse", never)
    settings.MAX_UPLOAD_BYTES = 1000
    big = SimpleUploadedFile("q.jpg", b"\xff" * 200_000)
    response = api_client.post("/api/search/", {"image": big}, format="multipart")
    assert response.status_code == 400
    assert "too large" in response.json()["image"][0]


@pytest.mark.nodb
def test_rate_and_cache_settings_fail_loudly(monkeypatch):
    monkeypatch.setenv("THROTTLE_X", "5/hour")
    assert env_rate("THROTTLE_X", "1/day") == "5/hour"
    monkeypatch.setenv("THROTTLE_X", "off")
    assert env_rate("THROTTLE_X", "1/day") is None
    monkeypatch.delenv("THROTTLE_X")
    assert env_rate("THROTTLE_X", "1/day") == "1/day"
    for bad in ("5", "five/hour", "5/fortnight", "5 per hour"):
        monkeypatch.setenv("THROTTLE_X", bad)
        with pytest.raises(ImproperlyConfigured, match="THROTTLE_X"):
            env_rate("THROTTLE_X", "1/day")

    monkeypatch.delenv("CACHE_X", raising=False)
    assert env_cache("CACHE_X")["BACKEND"].endswith("LocMemCache")
    monkeypatch.setenv("CACHE_X", "redis://127.0.0.1:6379/1")
    assert env_cache("CACHE_X") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
    monkeypatch.setenv("CACHE_X", "memcached://x")
    with pytest.raises(ImproperlyConfigured, match="CACHE_X"):
        env_cache("CACHE_X")


@pytest.mark.nodb
def test_the_counts_work_in_redis_shared_by_processes(settings):
    """CACHE_URL=redis://... : Django's Redis cache (atomic increments, shared by processes)."""
    import uuid

    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": f"memory-studio-test-{uuid.uuid4().hex}",
        }
    }
    rates(settings, login_ip="3/hour", login_username="1000/hour")
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=A)
    from accounts.throttling import login_succeeded

    assert [login_attempt(request, username="alice") is None for _ in range(3)] == [True, True, True]
    login_succeeded(request, username="alice")  # the third succeeded: its attempt is given back
    assert [login_attempt(request, username="alice") is None for _ in range(2)] == [True, False]
    assert cache.__class__.__name__ == "ConnectionProxy"
    from django.core.cache import caches

    assert caches["default"].__class__.__name__ == "RedisCache"
