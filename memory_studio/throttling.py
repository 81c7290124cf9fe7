"""What the throttles share: the configured rates and the client's address."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle


def throttle_rate(scope: str) -> str | None:
    """The rate of a throttle scope (`20/hour`) from REST_FRAMEWORK, read per request (not
    frozen at import like DRF's own throttles); None: no limit."""
    value = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    return value if isinstance(value, str) else None


def client_address(request: HttpRequest | Request) -> str:
    """The client's address: REMOTE_ADDR, or from X-Forwarded-For behind NUM_PROXIES proxies."""
    # DRF's reading only looks at headers and META, which a plain Django request has too.
    return str(BaseThrottle().get_ident(cast(Request, request)) or "")
