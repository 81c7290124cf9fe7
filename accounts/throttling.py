"""Limits on password guessing, shared by the login form and the token API, and on password
reset e-mails.

Failed attempts are counted per client address (`login_ip`) and per username (`login_username`),
in fixed windows of the rates in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], in the default cache
(shared by all processes when CACHE_URL names Redis). An attempt is counted *before* the
password is checked, with an atomic increment, so that parallel guesses cannot slip past the
limit; a successful login gives its attempt back, so that only failures use up the allowance.
The per-username count exists for any name typed, so refusals tell nothing about which
accounts exist. Password reset requests are counted the same way, per client address
(`password_reset_ip`) and per e-mail address typed (`password_reset_email`), whether or not an
account has it: they limit e-mail sent to one mailbox and tell nothing either.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from memory_studio.throttling import client_address, throttle_rate

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class _Window:
    key: str
    limit: int
    ends_at: float


def _windows(idents: Mapping[str, str]) -> list[_Window]:
    """The counting windows of these scopes (a scope's rate from DEFAULT_THROTTLE_RATES) for
    these identities (a client address, a username, an e-mail address, a share link)."""
    now = time.time()
    windows = []
    for scope, ident in idents.items():
        configured = throttle_rate(scope)
        if configured is None or not ident:
            continue
        count, period = configured.split("/")  # DRF's syntax, checked by env_rate: 20/hour
        limit, duration = int(count), _PERIODS[period[0]]
        index = int(now // duration)
        digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
        windows.append(_Window(f"throttle:{scope}:{digest}:{index}", limit, (index + 1) * duration))
    return windows


def _login_idents(request: HttpRequest | Request, *, username: str) -> dict[str, str]:
    return {"login_ip": client_address(request), "login_username": username.strip().casefold()}


def password_attempt(idents: Mapping[str, str]) -> float | None:
    """Count one password attempt in each scope's window (`{scope: identity}`); None if it may
    go ahead, else the seconds until it may."""
    waits = []
    for window in _windows(idents):
        timeout = math.ceil(window.ends_at - time.time()) + 1
        cache.add(window.key, 0, timeout=timeout)
        try:
            count = cache.incr(window.key)
        except ValueError:  # expired between add() and incr()
            cache.set(window.key, 1, timeout=timeout)
            count = 1
        if count > window.limit:
            waits.append(window.ends_at - time.time())
    return max(1.0, max(waits)) if waits else None


def password_reset_attempt(request: HttpRequest | Request, *, email: str) -> float | None:
    """Count one password reset request (for any address typed, known or not); None if it may go
    ahead, else the seconds until it may."""
    return password_attempt(
        {"password_reset_ip": client_address(request), "password_reset_email": email.strip().casefold()}
    )


def password_succeeded(idents: Mapping[str, str]) -> None:
    """Give back the attempt of a password that was right."""
    for window in _windows(idents):
        try:
            if cache.decr(window.key) < 0:
                cache.delete(window.key)
        except ValueError:  # the window has ended meanwhile
            pass


def login_attempt(request: HttpRequest | Request, *, username: str) -> float | None:
    """Count one password attempt; None if it may go ahead, else the seconds until it may."""
    return password_attempt(_login_idents(request, username=username))


def login_succeeded(request: HttpRequest | Request, *, username: str) -> None:
    """Give back the attempt of a login that succeeded."""
    password_succeeded(_login_idents(request, username=username))


def posted_username(request: Request) -> str:
    data: Any = request.data
    value = data.get("username", "") if isinstance(data, Mapping) else ""
    return value if isinstance(value, str) else ""


class LoginAttemptThrottle(BaseThrottle):
    """The token API's limit on password guessing (the login form's counters)."""

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        self._wait = login_attempt(request, username=posted_username(request))
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
