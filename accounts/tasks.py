"""E-mail for accounts (password resets), sent by a Celery worker when a broker is configured and
inline without one: with a worker, a slow or unreachable mail server never holds the request, and
answering for an address that has an account takes no longer than for one that has none."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.mail import EmailMessage

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def send_email(*, subject: str, body: str, from_email: str | None, to: list[str]) -> bool:
    """Send one plain-text e-mail. A failure is logged, not raised or retried: the person who asked
    got the same answer either way, and can ask again."""
    try:
        EmailMessage(subject, body, from_email, to).send()
    except Exception:
        logger.exception("Could not send the e-mail %r", subject)
        return False
    return True


def enqueue_email(*, subject: str, body: str, from_email: str | None, to: list[str]) -> None:
    """Queue the e-mail (inline without a broker); a broker that is down is logged, not raised."""
    try:
        send_email.delay(subject=subject, body=body, from_email=from_email, to=to)
    except Exception:
        logger.exception("Could not queue the e-mail %r", subject)
