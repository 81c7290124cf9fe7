"""Typed helpers that read settings from environment variables and fail loudly.

Every setting of Memory Studio comes from the environment through these helpers, so a
malformed value stops the process at start-up with a message naming the variable,
instead of surfacing later as a confusing error.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_optional(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if not math.isfinite(value):  # NaN passes every range check: a threshold would be disabled
        raise ImproperlyConfigured(f"{name}={raw!r} is not a finite number.")
    return value


def env_optional_float(
    name: str, *, minimum: float | None = None, maximum: float | None = None
) -> float | None:
    """A number, or None when the variable is unset or empty (the caller's own default applies)."""
    if env_optional(name) is None:
        return None
    value = env_float(name, 0.0)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name}={value} must be between {minimum} and {maximum}.")
    return value


def env_optional_int(name: str, *, minimum: int | None = None) -> int | None:
    """An integer, or None when the variable is unset or empty (the caller's own default applies)."""
    if env_optional(name) is None:
        return None
    return env_int(name, 0, minimum=minimum)


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name, "").strip()
    return Path(raw).expanduser().resolve() if raw else default


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}.")
    return value


def env_secret(name: str, *, file_default: Path) -> str:
    """Read a secret from NAME, else from the file NAME_FILE (default `file_default`).

    Nothing is generated here: settings never write files. `make run` creates the
    file once for the embedded defaults; a production deployment sets the variable.
    """
    value = os.environ.get(name, "").strip()
    if value:
        return value
    path = env_path(f"{name}_FILE", file_default)
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        value = ""
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set and {path} does not exist or is empty. Set {name} (or {name}_FILE), "
            f"or run `make secret` to create a random key in {path}."
        )
    return value


_RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def env_rate(name: str, default: str) -> str | None:
    """A throttle rate such as `20/hour` (DRF's syntax: a count per second, minute, hour or day);
    `off` disables the limit."""
    value = os.environ.get(name, "").strip().lower() or default
    if value == "off":
        return None
    if not _RATE.match(value):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate; use a count per period such as 20/hour "
            "(second, minute, hour or day), or off."
        )
    return value


def env_cache(name: str) -> dict[str, Any]:
    """The default cache: Redis at the URL in NAME (redis://, rediss:// or unix://), else a
    per-process memory cache."""
    url = env_optional(name)
    if url is None:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if url.split("://", 1)[0].lower() not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"{name}={url!r} must be a redis://, rediss:// or unix:// URL, "
            "or unset for a cache in each process's memory."
        )
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}


@dataclass(frozen=True)
class EmailSettings:
    """How the site sends e-mail (password resets): Django's EMAIL_* settings."""

    backend: str
    host: str
    port: int
    host_user: str
    host_password: str
    use_tls: bool
    use_ssl: bool
    timeout: int
    from_email: str


_SMTP_ONLY = ("EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_HOST_PASSWORD_FILE")


def env_email() -> EmailSettings:
    """E-mail from EMAIL_* variables: with no EMAIL_HOST, messages are written to the console (the
    process's log) instead of being sent; with one, SMTP. EMAIL_USE_TLS (STARTTLS, port 587 by
    default) and EMAIL_USE_SSL (implicit TLS, port 465) exclude each other. The password comes
    from EMAIL_HOST_PASSWORD or the file named by EMAIL_HOST_PASSWORD_FILE."""
    host = env_str("EMAIL_HOST", "").strip()
    use_tls = env_bool("EMAIL_USE_TLS", False)
    use_ssl = env_bool("EMAIL_USE_SSL", False)
    if use_tls and use_ssl:
        raise ImproperlyConfigured(
            "EMAIL_USE_TLS and EMAIL_USE_SSL are both on; choose one: EMAIL_USE_TLS for STARTTLS "
            "(usually port 587), EMAIL_USE_SSL for implicit TLS (usually port 465)."
        )
    if not host:
        configured = [name for name in (*_SMTP_ONLY, "EMAIL_USE_TLS", "EMAIL_USE_SSL") if env_optional(name)]
        if any(name in _SMTP_ONLY for name in configured) or use_tls or use_ssl:
            raise ImproperlyConfigured(
                f"{', '.join(configured)} set but EMAIL_HOST is not: set EMAIL_HOST (the SMTP server) "
                "to send e-mail, or unset them to write e-mail to the console."
            )
    port = env_int("EMAIL_PORT", 465 if use_ssl else 587 if use_tls else 25, minimum=1)
    if port > 65535:
        raise ImproperlyConfigured(f"EMAIL_PORT={port} is not a port (1-65535).")
    password = env_str("EMAIL_HOST_PASSWORD", "")
    password_file = env_optional("EMAIL_HOST_PASSWORD_FILE")
    if password_file is not None and not password:
        path = Path(password_file).expanduser()
        try:
            password = path.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(f"EMAIL_HOST_PASSWORD_FILE={password_file!r}: {error}") from None
    from_email = env_str("DEFAULT_FROM_EMAIL", "webmaster@localhost").strip()
    _, address = parseaddr(from_email)
    try:
        validate_email(address)
    except ValidationError:
        raise ImproperlyConfigured(
            f"DEFAULT_FROM_EMAIL={from_email!r} is not an e-mail address "
            "(name@example.com or 'Name <name@example.com>')."
        ) from None
    return EmailSettings(
        backend=(
            "django.core.mail.backends.smtp.EmailBackend"
            if host
            else "django.core.mail.backends.console.EmailBackend"
        ),
        host=host or "localhost",
        port=port,
        host_user=env_str("EMAIL_HOST_USER", "").strip(),
        host_password=password,
        use_tls=use_tls,
        use_ssl=use_ssl,
        timeout=env_int("EMAIL_TIMEOUT", 10, minimum=1),
        from_email=from_email,
    )
