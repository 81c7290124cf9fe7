"""Settings from environment variables: every helper, its defaults, and malformed values that
must stop the process with a message naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from memory_studio import env

pytestmark = pytest.mark.nodb

NAME = "MEMORY_STUDIO_TEST_SETTING"


@pytest.fixture
def setenv(monkeypatch):
    monkeypatch.delenv(NAME, raising=False)
    monkeypatch.delenv(f"{NAME}_FILE", raising=False)

    def set_value(value: str) -> None:
        monkeypatch.setenv(NAME, value)

    return set_value


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(ImproperlyConfigured) as error:
        call(NAME, *args, **kwargs)
    message = str(error.value)
    assert NAME in message  # the operator learns which variable is wrong
    return message


def test_env_str_and_env_optional(setenv):
    assert env.env_str(NAME, "fallback") == "fallback"
    assert env.env_optional(NAME) is None
    setenv("   ")
    assert env.env_optional(NAME) is None  # blank is unset
    setenv(" value ")
    assert env.env_str(NAME, "fallback") == " value "
    assert env.env_optional(NAME) == "value"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        (" TRUE ", True),
        ("yes", True),
        ("On", True),
        ("0", False),
        ("false", False),
        ("NO", False),
        ("off", False),
        ("", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(setenv, raw, expected):
    setenv(raw)
    assert env.env_bool(NAME, not expected) is expected


@pytest.mark.parametrize("raw", ["2", "maybe", "y", "enabled", "truee"])
def test_env_bool_refuses_anything_else(setenv, raw):
    setenv(raw)
    assert "is not a boolean" in refused(env.env_bool, True)


def test_env_bool_default_when_unset(setenv):
    assert env.env_bool(NAME, True) is True
    assert env.env_bool(NAME, False) is False


def test_env_int(setenv):
    assert env.env_int(NAME, 7) == 7
    setenv("  ")
    assert env.env_int(NAME, 7) == 7
    setenv(" 1_000 ")
    assert env.env_int(NAME, 7) == 1000
    setenv("-3")
    assert env.env_int(NAME, 7) == -3
    assert "must be at least 0" in refused(env.env_int, 7, minimum=0)
    setenv("0")
    assert env.env_int(NAME, 7, minimum=0) == 0


@pytest.mark.parametrize("raw", ["12x", "1.5", "ten", "0x10", "1e3"])
def test_env_int_refuses_what_is_not_an_integer(setenv, raw):
    setenv(raw)
    assert "is not an integer" in refused(env.env_int, 7)


def test_env_float(setenv):
    assert env.env_float(NAME, 0.5) == 0.5
    setenv("")
    assert env.env_float(NAME, 0.5) == 0.5
    setenv(" 0.25 ")
    assert env.env_float(NAME, 0.5) == 0.25
    setenv("-1e-2")
    assert env.env_float(NAME, 0.5) == -0.01


@pytest.mark.parametrize("raw", ["abc", "0,5", "1.2.3", "nan", "NaN", "inf", "-Infinity"])
def test_env_float_refuses_what_is_not_a_finite_number(setenv, raw):
    # NaN would pass every range check (all comparisons are false) and silently disable a threshold.
    setenv(raw)
    refused(env.env_float, 0.5)


def test_env_optional_float(setenv):
    assert env.env_optional_float(NAME, minimum=-1.0, maximum=1.0) is None
    setenv(" ")
    assert env.env_optional_float(NAME, minimum=-1.0, maximum=1.0) is None
    setenv("-1")
    assert env.env_optional_float(NAME, minimum=-1.0, maximum=1.0) == -1.0
    setenv("1.0001")
    assert "must be between -1.0 and 1.0" in refused(env.env_optional_float, minimum=-1.0, maximum=1.0)
    for raw in ("high", "nan"):
        setenv(raw)
        refused(env.env_optional_float, minimum=-1.0, maximum=1.0)


def test_env_optional_int(setenv):
    assert env.env_optional_int(NAME, minimum=1) is None
    setenv("")
    assert env.env_optional_int(NAME, minimum=1) is None
    setenv("4")
    assert env.env_optional_int(NAME, minimum=1) == 4
    setenv("0")
    assert "must be at least 1" in refused(env.env_optional_int, minimum=1)
    setenv("four")
    assert "is not an integer" in refused(env.env_optional_int, minimum=1)


def test_env_list(setenv):
    default = ["a"]
    listed = env.env_list(NAME, default)
    assert listed == ["a"]
    listed.append("b")
    assert default == ["a"]  # a copy: callers cannot change the default
    setenv(" example.com , ,photos.example.com,")
    assert env.env_list(NAME, default) == ["example.com", "photos.example.com"]
    setenv("")
    assert env.env_list(NAME, default) == []  # set but empty: an empty list, not the default


def test_env_path(setenv, tmp_path, monkeypatch):
    default = tmp_path / "default"
    assert env.env_path(NAME, default) == default
    setenv("  ")
    assert env.env_path(NAME, default) == default
    monkeypatch.setenv("HOME", str(tmp_path))
    setenv("~/media/../data")
    assert env.env_path(NAME, default) == (tmp_path / "data").resolve()
    monkeypatch.chdir(tmp_path)
    setenv("relative")
    assert env.env_path(NAME, default) == (tmp_path / "relative").resolve()


def test_env_choice(setenv):
    choices = ("local", "s3")
    assert env.env_choice(NAME, "local", choices) == "local"
    setenv(" S3 ")
    assert env.env_choice(NAME, "local", choices) == "s3"
    setenv("ftp")
    message = refused(env.env_choice, "local", choices)
    assert "must be one of: local, s3" in message
    setenv("")
    refused(env.env_choice, "local", choices)  # set but empty is not a choice


def test_env_secret_from_the_variable_then_the_file(setenv, tmp_path, monkeypatch):
    default_file = tmp_path / "secret"
    setenv("  from-the-environment ")
    assert env.env_secret(NAME, file_default=default_file) == "from-the-environment"
    monkeypatch.delenv(NAME)
    default_file.write_text("from-the-default-file\n", encoding="utf-8")
    assert env.env_secret(NAME, file_default=default_file) == "from-the-default-file"
    other = tmp_path / "other"
    other.write_text("from-NAME_FILE", encoding="utf-8")
    monkeypatch.setenv(f"{NAME}_FILE", str(other))
    assert env.env_secret(NAME, file_default=default_file) == "from-NAME_FILE"


def test_env_secret_fails_loudly_without_one(setenv, tmp_path, monkeypatch):
    missing = tmp_path / "missing"
    message = refused(env.env_secret, file_default=missing)
    assert str(missing) in message
    assert not missing.exists()  # settings never write files
    empty = tmp_path / "empty"
    empty.write_text(" \n", encoding="utf-8")
    monkeypatch.setenv(f"{NAME}_FILE", str(empty))
    assert str(empty) in refused(env.env_secret, file_default=missing)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", "20/hour"), ("5/MIN", "5/min"), (" 100/day ", "100/day"), ("1/s", "1/s"), ("OFF", None)],
)
def test_env_rate(setenv, raw, expected):
    setenv(raw)
    assert env.env_rate(NAME, "20/hour") == expected


@pytest.mark.parametrize("raw", ["20", "20/fortnight", "/hour", "-1/hour", "1.5/hour", "20 / hour", "never"])
def test_env_rate_refuses_malformed_rates(setenv, raw):
    setenv(raw)
    assert "is not a rate" in refused(env.env_rate, "20/hour")


def test_env_cache(setenv):
    assert env.env_cache(NAME) == {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    for url in ("redis://127.0.0.1:6379/1", "REDISS://cache.example.com:6380/0", "unix:///run/redis.sock"):
        setenv(url)
        assert env.env_cache(NAME) == {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        }
    for url in ("memcached://127.0.0.1:11211", "127.0.0.1:6379", "http://redis"):
        setenv(url)
        assert "must be a redis://" in refused(env.env_cache)


def test_malformed_settings_stop_the_settings_module(tmp_path):
    """The settings module itself refuses a malformed value at start-up (not later, in a request)."""
    import os
    import subprocess
    import sys

    base = Path(__file__).resolve().parent.parent.parent
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "memory_studio.settings_test"}
    environment["RECOGNITION_MIN_FACE_PROB"] = "nan"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=base,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: RECOGNITION_MIN_FACE_PROB='nan'" in result.stderr


EMAIL_VARIABLES = (
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_HOST_PASSWORD_FILE",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_TIMEOUT",
    "DEFAULT_FROM_EMAIL",
)


@pytest.fixture
def email_env(monkeypatch):
    for name in EMAIL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def email_refused(message_part: str) -> str:
    with pytest.raises(ImproperlyConfigured) as error:
        env.env_email()
    message = str(error.value)
    assert message_part in message
    return message


def test_env_email_writes_to_the_console_by_default(email_env):
    email = env.env_email()
    assert email.backend == "django.core.mail.backends.console.EmailBackend"
    assert (email.use_tls, email.use_ssl, email.port, email.timeout) == (False, False, 25, 10)
    assert email.from_email == "webmaster@localhost"


def test_env_email_sends_by_smtp_with_a_host(email_env, tmp_path):
    email_env.setenv("EMAIL_HOST", "smtp.example.com")
    email_env.setenv("EMAIL_USE_TLS", "yes")
    email_env.setenv("EMAIL_HOST_USER", "photos@example.com")
    email_env.setenv("EMAIL_HOST_PASSWORD", "s3cret")
    email_env.setenv("DEFAULT_FROM_EMAIL", "추억 사진관 <photos@example.com>")
    email = env.env_email()
    assert email.backend == "django.core.mail.backends.smtp.EmailBackend"
    assert (email.host, email.port, email.use_tls, email.use_ssl) == ("smtp.example.com", 587, True, False)
    assert (email.host_user, email.host_password) == ("photos@example.com", "s3cret")
    assert email.from_email == "추억 사진관 <photos@example.com>"
    email_env.delenv("EMAIL_USE_TLS")
    email_env.setenv("EMAIL_USE_SSL", "1")
    assert (env.env_email().port, env.env_email().use_ssl) == (465, True)
    email_env.setenv("EMAIL_PORT", "2525")
    assert env.env_email().port == 2525
    # The password from a file (a container secret), the variable unset.
    email_env.delenv("EMAIL_HOST_PASSWORD")
    secret = tmp_path / "smtp_password"
    secret.write_text("from-a-file\n", encoding="utf-8")
    email_env.setenv("EMAIL_HOST_PASSWORD_FILE", str(secret))
    assert env.env_email().host_password == "from-a-file"


def test_env_email_refuses_tls_and_ssl_together(email_env):
    email_env.setenv("EMAIL_HOST", "smtp.example.com")
    email_env.setenv("EMAIL_USE_TLS", "1")
    email_env.setenv("EMAIL_USE_SSL", "1")
    email_refused("EMAIL_USE_TLS and EMAIL_USE_SSL are both on")


def test_env_email_refuses_smtp_settings_without_a_host(email_env):
    email_env.setenv("EMAIL_HOST_USER", "photos@example.com")
    assert "EMAIL_HOST_USER set but EMAIL_HOST is not" in email_refused("EMAIL_HOST")
    email_env.delenv("EMAIL_HOST_USER")
    email_env.setenv("EMAIL_USE_TLS", "on")
    email_refused("EMAIL_USE_TLS set but EMAIL_HOST is not")


@pytest.mark.parametrize(
    ("name", "value", "message_part"),
    [
        ("EMAIL_PORT", "smtp", "EMAIL_PORT='smtp' is not an integer"),
        ("EMAIL_PORT", "70000", "EMAIL_PORT=70000 is not a port"),
        ("EMAIL_PORT", "0", "EMAIL_PORT=0 must be at least 1"),
        ("EMAIL_TIMEOUT", "0", "EMAIL_TIMEOUT=0 must be at least 1"),
        ("EMAIL_USE_TLS", "maybe", "EMAIL_USE_TLS='maybe' is not a boolean"),
        ("DEFAULT_FROM_EMAIL", "photos", "DEFAULT_FROM_EMAIL='photos' is not an e-mail address"),
        ("EMAIL_HOST_PASSWORD_FILE", "/nonexistent/smtp_password", "EMAIL_HOST_PASSWORD_FILE="),
    ],
)
def test_env_email_refuses_malformed_values(email_env, name, value, message_part):
    email_env.setenv("EMAIL_HOST", "smtp.example.com")
    email_env.setenv(name, value)
    email_refused(message_part)


def test_email_settings_stop_the_settings_module():
    """TLS and SSL together stop the process at start-up, naming both variables."""
    import os
    import subprocess
    import sys

    base = Path(__file__).resolve().parent.parent.parent
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "memory_studio.settings_test",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_USE_TLS": "1",
        "EMAIL_USE_SSL": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=base,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: EMAIL_USE_TLS and EMAIL_USE_SSL are both on" in result.stderr
