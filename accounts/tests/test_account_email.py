"""The account page's e-mail address, where password reset links go."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = "/accounts/settings/email/"


@pytest.fixture
def jiwoo(django_user_model, password):
    """A user who signed up without an e-mail address."""
    return django_user_model.objects.create_user(username="jiwoo", password=password)


@pytest.fixture
def no_email_client(jiwoo):
    client = Client()
    client.force_login(jiwoo)
    return client


def test_the_account_page_asks_for_a_missing_address(no_email_client, user_client):
    assert 'id="email-missing"' in no_email_client.get(reverse("accounts:account")).content.decode()
    assert 'id="email-missing"' not in user_client.get(reverse("accounts:account")).content.decode()


def test_adding_an_address_lets_the_user_reset_their_password(no_email_client, jiwoo, password):
    response = no_email_client.post(URL, {"email": "jiwoo@example.com", "current_password": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:account")
    jiwoo.refresh_from_db()
    assert jiwoo.email == "jiwoo@example.com"
    page = no_email_client.get(reverse("accounts:account")).content.decode()
    assert "Your e-mail address was saved." in page
    assert 'value="jiwoo@example.com"' in page
    no_email_client.post(reverse("accounts:password_reset"), {"email": "jiwoo@example.com"})
    assert [m.to for m in mail.outbox] == [["jiwoo@example.com"]]


def test_the_current_password_is_required(user_client, user):
    for data in ({"email": "thief@example.com"}, {"email": "thief@example.com", "current_password": "guess"}):
        response = user_client.post(URL, data)
        assert response.status_code == 400
        assert "thief@example.com" in response.content.decode()  # the form comes back filled in
        user.refresh_from_db()
        assert user.email == "alice@example.com"


def test_a_malformed_address_is_refused(user_client, user, password):
    response = user_client.post(URL, {"email": "not-an-address", "current_password": password})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    user.refresh_from_db()
    assert user.email == "alice@example.com"


def test_an_empty_address_removes_it(user_client, user, password):
    assert user_client.post(URL, {"email": "", "current_password": password}).status_code == 302
    user.refresh_from_db()
    assert user.email == ""


def test_wrong_passwords_count_against_the_login_limit(user_client, user, password):
    for _ in range(20):
        assert (
            user_client.post(URL, {"email": "x@example.com", "current_password": "guess"}).status_code == 400
        )
    refused = user_client.post(URL, {"email": "x@example.com", "current_password": password})
    assert refused.status_code == 429
    assert "Too many failed login attempts" in refused.content.decode()
    user.refresh_from_db()
    assert user.email == "alice@example.com"


def test_visitors_are_sent_to_log_in_and_get_is_refused(user_client):
    response = Client().post(URL, {"email": "x@example.com"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert user_client.get(URL).status_code == 405
