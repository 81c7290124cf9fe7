"""Django settings for Memory Studio: everything comes from environment variables.

With nothing set, the site runs on the embedded defaults: SQLite and local file storage
under MEMORY_STUDIO_DATA_DIR (default ./var) and background jobs run inline. README.md
documents every variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from botocore.config import Config as BotoConfig
from django.core.exceptions import ImproperlyConfigured

from memory_studio.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_optional,
    env_path,
    env_secret,
    env_str,
)

# Lets generic Django classes be subscripted at run time (UserCreationForm[User]) for mypy.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("MEMORY_STUDIO_DATA_DIR", BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY", file_default=DATA_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "gallery",
    "recognition",
    "training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "memory_studio.urls"
WSGI_APPLICATION = "memory_studio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite under the data directory unless DATABASE_URL names another engine
# (postgres://user@host:5432/name). Queries stay portable ORM (no raw SQL).
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "gallery:photo_list"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env_path("STATIC_ROOT", DATA_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves static files from gunicorn too; finders let it work without collectstatic.
WHITENOISE_USE_FINDERS = True

# Media: private. Nothing is served from a public URL: local files go through a
# permission-checked view, S3 objects through short-lived pre-signed URLs.
MEDIA_ROOT = env_path("MEDIA_ROOT", DATA_DIR / "media")
AWS_STORAGE_BUCKET_NAME = env_optional("AWS_STORAGE_BUCKET_NAME")
_default_storage: dict[str, Any]
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_optional("AWS_S3_ENDPOINT_URL"),
            "region_name": env_optional("AWS_S3_REGION_NAME"),
            "access_key": env_optional("AWS_ACCESS_KEY_ID"),
            "secret_key": env_optional("AWS_SECRET_ACCESS_KEY"),
            "location": env_str("AWS_LOCATION", ""),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 300, minimum=1),
            "file_overwrite": False,
            # Fail fast when the S3 server is down: uploads answer 503 instead of hanging.
            "client_config": BotoConfig(
                s3={"addressing_style": env_optional("AWS_S3_ADDRESSING_STYLE")},
                signature_version="s3v4",
                connect_timeout=env_int("AWS_S3_CONNECT_TIMEOUT", 5, minimum=1),
                read_timeout=env_int("AWS_S3_READ_TIMEOUT", 30, minimum=1),
                retries={"max_attempts": env_int("AWS_S3_MAX_ATTEMPTS", 3, minimum=1), "mode": "standard"},
            ),
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 50 * 1024 * 1024, minimum=1)
MAX_IMAGE_PIXELS = env_int("MAX_IMAGE_PIXELS", 100_000_000, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024, minimum=1)
GALLERY_PAGE_SIZE = env_int("GALLERY_PAGE_SIZE", 48, minimum=1)
THUMBNAIL_SMALL_SIZE = env_int("THUMBNAIL_SMALL_SIZE", 400, minimum=16)
THUMBNAIL_LARGE_SIZE = env_int("THUMBNAIL_LARGE_SIZE", 1600, minimum=16)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 50, minimum=1),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Memory Studio API",
    "DESCRIPTION": "Private photo gallery with search by face.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Background jobs: inline (eager) without a broker, Celery workers on Redis with one.
CELERY_TASK_ALWAYS_EAGER = not env_str("CELERY_BROKER_URL", "")
# Eager mode still builds a (never used) producer: point it at the in-process transport, not AMQP.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "") or "memory://"
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "memory_studio")

# Face recognition
RECOGNITION_MODEL = env_str("RECOGNITION_MODEL", "dlib-resnet")
RECOGNITION_DEVICE = env_str("RECOGNITION_DEVICE", "auto")
RECOGNITION_PRELOAD = env_bool("RECOGNITION_PRELOAD", True)
RECOGNITION_WEIGHTS_DIR = env_path("RECOGNITION_WEIGHTS_DIR", DATA_DIR / "weights")
RECOGNITION_DETECT_MAX_SIDE = env_int("RECOGNITION_DETECT_MAX_SIDE", 1024, minimum=64)
RECOGNITION_MIN_FACE_SIZE = env_int("RECOGNITION_MIN_FACE_SIZE", 20, minimum=4)
# 0.95: MTCNN scores its false faces on objects and animals 0.91-0.93 (bench/false_faces.py).
RECOGNITION_MIN_FACE_PROB = env_float("RECOGNITION_MIN_FACE_PROB", 0.95)
RECOGNITION_TTA_FLIP = env_bool("RECOGNITION_TTA_FLIP", False)
RECOGNITION_BATCH_SIZE = env_int("RECOGNITION_BATCH_SIZE", 16, minimum=1)
RECOGNITION_SEARCH_THRESHOLD: float | None = None
if env_optional("RECOGNITION_SEARCH_THRESHOLD"):
    RECOGNITION_SEARCH_THRESHOLD = env_float("RECOGNITION_SEARCH_THRESHOLD", 0.0)
    if not -1.0 <= RECOGNITION_SEARCH_THRESHOLD <= 1.0:
        raise ImproperlyConfigured("RECOGNITION_SEARCH_THRESHOLD must be a cosine similarity in [-1, 1].")
RECOGNITION_INDEX_CACHE_OWNERS = env_int("RECOGNITION_INDEX_CACHE_OWNERS", 64, minimum=1)

LOG_LEVEL = env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL.upper()},
}

# Production hardening switches on by itself when DEBUG is off and HTTPS is declared.
SECURE_HTTPS = env_bool("SECURE_HTTPS", False)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
if SECURE_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
