"""Password reset by e-mail: the whole flow through the pages and mail.outbox, the link's single
use and lifetime, the same answer for any address, the e-mail's language, the limits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

NEW = "a-brand-new-passphrase-31"
LINK = re.compile(r"https?://[^/\s]+(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


def ask(client: Client, email: str, *, ip: str = "10.0.0.1", language: str = "en"):
    return client.post(
        reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=language
    )


def link_in(message: mail.EmailMessage) -> str:
    found = LINK.search(str(message.body))
    assert found, message.body
    return found.group(1)


def choose_password(client: Client, link: str, password: str = NEW):
    """Open the e-mail's link (Django moves the token into the session and redirects) and post
    the new password; the answer of the post."""
    opened = client.get(link)
    assert opened.status_code == 302
    form_url = opened["Location"]
    assert client.get(form_url).context["validlink"] is True
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def test_the_defaults_a_day_per_link_3_requests_per_address_and_10_per_client(settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 24 * 60 * 60
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["password_reset_email"] == "3/hour"
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["password_reset_ip"] == "10/hour"


def test_the_login_page_links_to_the_reset_page(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert f'href="{reverse("accounts:password_reset")}"' in html
    assert client.get(reverse("accounts:password_reset")).status_code == 200


def test_the_whole_reset_flow(client, user, password):
    other_browser = Client()
    other_browser.force_login(user)
    token = Token.objects.create(user=user)

    asked = ask(client, "ALICE@example.com")  # any case
    assert asked.status_code == 302
    assert asked["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Reset your Memory Studio password"
    assert "alice" in message.body
    assert "within 1\xa0day." in message.body  # PASSWORD_RESET_TIMEOUT in words

    done = choose_password(client, link_in(message))
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert not user.check_password(password)
    # Whoever had the account loses it: other sessions end, API tokens are revoked.
    assert other_browser.get(reverse("gallery:album_list")).status_code == 302
    assert not Token.objects.filter(key=token.key).exists()
    # The new password logs in.
    fresh = Client()
    assert fresh.post(reverse("accounts:login"), {"username": "alice", "password": NEW}).status_code == 302
    assert fresh.get(reverse("gallery:album_list")).status_code == 200


def test_the_link_works_once(client, user):
    ask(client, "alice@example.com")
    link = link_in(mail.outbox[0])
    assert choose_password(client, link).status_code == 302
    # Again, in this browser or another: the token was made from the old password.
    for browser in (client, Client()):
        opened = browser.get(link, follow=True)
        assert opened.status_code == 200
        assert opened.context["validlink"] is False
        assert 'id="reset-link-invalid"' in opened.content.decode()
        posted = browser.post(
            link, {"new_password1": "yet-another-one-77", "new_password2": "yet-another-one-77"}
        )
        assert posted.status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_an_expired_link_fails(client, user, password, settings, monkeypatch):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    ask(client, "alice@example.com")
    link = link_in(mail.outbox[0])
    real_now = PasswordResetTokenGenerator._now

    def later(seconds: int):
        monkeypatch.setattr(
            PasswordResetTokenGenerator, "_now", lambda self: real_now(self) + dt.timedelta(seconds=seconds)
        )

    later(3500)  # just before: it still works (the check below can fail)
    assert Client().get(link).status_code == 302  # redirected to the form: valid
    later(3700)
    opened = client.get(link, follow=True)
    assert opened.context["validlink"] is False
    assert 'id="reset-link-invalid"' in opened.content.decode()
    user.refresh_from_db()
    assert user.check_password(password)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, user):
    known = ask(client, "alice@example.com", ip="10.0.0.1")
    unknown = ask(client, "nobody@example.com", ip="10.0.0.2")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    # The page after either is one and the same, and names no account.
    page = client.get(known["Location"]).content.decode()
    assert "alice" not in page
    assert "nobody@example.com" not in page


def test_no_mail_for_inactive_accounts_or_accounts_without_password(client, django_user_model):
    django_user_model.objects.create_user(
        username="gone", email="gone@example.com", password="x-long-pass-1", is_active=False
    )
    django_user_model.objects.create_user(username="sso", email="sso@example.com")  # unusable password
    for address in ("gone@example.com", "sso@example.com"):
        assert ask(client, address)["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_the_email_is_korean_for_a_user_who_chose_korean(client, user):
    user.language = "ko"
    user.save(update_fields=["language"])
    ask(client, "alice@example.com", language="en")
    message = mail.outbox[0]
    assert message.subject == "추억 사진관 비밀번호 재설정"
    assert "1일" in message.body
    assert "Reset" not in message.subject
    assert "Someone" not in message.body
    assert "ignore" not in message.body
    assert link_in(message)


def test_the_email_follows_the_request_language_without_a_saved_one(client, user, other_user):
    ask(client, "alice@example.com", language="ko-KR,ko;q=0.9")
    ask(client, "m@example.com", language="en")
    korean, english = mail.outbox
    assert korean.subject == "추억 사진관 비밀번호 재설정"
    assert english.subject == "Reset your Memory Studio password"


def test_reset_requests_are_limited_per_address_typed(client, user):
    for n in range(3):
        assert ask(client, "alice@example.com", ip=f"10.0.1.{n}").status_code == 302
    refused = ask(client, "alice@example.com", ip="10.0.1.9")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "Too many password reset requests" in refused.content.decode()
    assert len(mail.outbox) == 3  # nothing sent over the limit
    # An unknown address is limited alike: the refusal tells nothing.
    for n in range(3):
        ask(client, "nobody@example.com", ip=f"10.0.2.{n}")
    assert ask(client, "nobody@example.com", ip="10.0.2.9").status_code == 429
    # Another address is not.
    assert ask(client, "m@example.com", ip="10.0.3.1").status_code == 302


def test_reset_requests_are_limited_per_client_address(client, user):
    for n in range(10):
        assert ask(client, f"someone{n}@example.com", ip="10.0.4.1").status_code == 302
    assert ask(client, "alice@example.com", ip="10.0.4.1").status_code == 429
    assert mail.outbox == []
    assert ask(client, "alice@example.com", ip="10.0.4.2").status_code == 302
    assert len(mail.outbox) == 1


def test_a_mail_server_that_fails_changes_nothing_in_the_answer(client, user, monkeypatch, caplog):
    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    known = ask(client, "alice@example.com", ip="10.0.5.1")
    unknown = ask(client, "nobody@example.com", ip="10.0.5.2")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []
    assert "Could not send the e-mail 'Reset your Memory Studio password'" in caplog.text
    assert "Connection refused" in caplog.text


def test_with_a_broker_the_email_is_queued_not_sent_in_the_request(client, user, monkeypatch):
    from accounts import tasks

    queued = []
    monkeypatch.setattr(tasks.send_email, "delay", lambda **kwargs: queued.append(kwargs))
    assert ask(client, "alice@example.com").status_code == 302
    assert mail.outbox == []  # nothing sent by the request itself
    (job,) = queued
    assert job["to"] == ["alice@example.com"]
    assert job["subject"] == "Reset your Memory Studio password"
    assert LINK.search(job["body"])
    # What a worker then does with it.
    assert tasks.send_email(**job) is True
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_a_broker_that_is_down_changes_nothing_in_the_answer(client, user, monkeypatch, caplog):
    from accounts import tasks

    def down(**kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(tasks.send_email, "delay", down)
    response = ask(client, "alice@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert "Could not queue the e-mail" in caplog.text
