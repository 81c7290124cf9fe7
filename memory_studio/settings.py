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

from memory_studio.env import (
    env_bool,
    env_cache,
    env_choice,
    env_email,
    env_float,
    env_int,
    env_list,
    env_optional,
    env_optional_float,
    env_optional_int,
    env_path,
    env_rate,
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
    "people",
    "training",
    "exports",
    "imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "memory_studio.middleware.ContentSecurityPolicyMiddleware",
    # Outages (database, storage, face model) are a 503, before sessions or users touch the database.
    "memory_studio.middleware.ServiceUnavailableMiddleware",
    # Answers to logged-in users: Cache-Control private, no-store (outside sessions: sees their cookie).
    "memory_studio.middleware.PrivateCacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the cookie (the language switch), else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A logged-in user's saved language and time zone win over the cookie and the browser.
    "accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "memory_studio.urls"
CSRF_FAILURE_VIEW = "memory_studio.errors.csrf_failure"
WSGI_APPLICATION = "memory_studio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
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
# Logged out: the landing page (what 추억 사진관 is, Log in / Sign up), with "You have been logged out."
LOGOUT_REDIRECT_URL = "/"
# A password reset link works once, for this long (seconds; Django's default is 3 days).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 24 * 60 * 60, minimum=60)

# E-mail (password resets): written to the console (the log) until EMAIL_HOST names an SMTP server.
_email = env_email()
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.host_user
EMAIL_HOST_PASSWORD = _email.host_password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
EMAIL_TIMEOUT = _email.timeout
DEFAULT_FROM_EMAIL = _email.from_email
SERVER_EMAIL = _email.from_email

# Korean and English. Without a choice (the user's, or the switch's cookie) the browser's
# Accept-Language picks; requests that name neither language get English.
LANGUAGE_CODE = "en"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language switch's cookie lasts a year (Django's default is the browser session).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
# The site's default time zone; each user may choose their own (the account page).
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
# Fail fast when the S3 server is down or hangs: two attempts in all (boto's `total_max_attempts`;
# its `max_attempts` counts retries only), each waiting at most connect + read timeout, so a hung
# S3 holds a web thread for ~20 s, not minutes.
AWS_S3_CONNECT_TIMEOUT = env_int("AWS_S3_CONNECT_TIMEOUT", 5, minimum=1)
AWS_S3_READ_TIMEOUT = env_int("AWS_S3_READ_TIMEOUT", 10, minimum=1)
AWS_S3_MAX_ATTEMPTS = env_int("AWS_S3_MAX_ATTEMPTS", 2, minimum=1)
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
                connect_timeout=AWS_S3_CONNECT_TIMEOUT,
                read_timeout=AWS_S3_READ_TIMEOUT,
                retries={"total_max_attempts": AWS_S3_MAX_ATTEMPTS, "mode": "standard"},
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
# Importing a library (imports/): the largest zip the Import page accepts, and limits that any
# archive must keep (files in it, uncompressed bytes in all) so that a zip bomb is refused unread.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 2 * 1024 * 1024 * 1024, minimum=1)
IMPORT_MAX_FILES = env_int("IMPORT_MAX_FILES", 50_000, minimum=1)
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_BYTES", 8 * 1024 * 1024 * 1024, minimum=1)
# Most photos one zip download may hold (a selection or an album); the zip itself is streamed.
DOWNLOAD_MAX_PHOTOS = env_int("DOWNLOAD_MAX_PHOTOS", 5000, minimum=1)
# A selection posts one `photos` field per photo: Django's default (1,000 fields) would refuse a
# larger one with a bare 400 before any view could explain.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int(
    "DATA_UPLOAD_MAX_NUMBER_FIELDS", DOWNLOAD_MAX_PHOTOS + 1000, minimum=100
)
THUMBNAIL_SMALL_SIZE = env_int("THUMBNAIL_SMALL_SIZE", 400, minimum=16)
THUMBNAIL_LARGE_SIZE = env_int("THUMBNAIL_LARGE_SIZE", 1600, minimum=16)
# Trash: deleted photos stay restorable this many days, then `purge_trash` deletes them for good.
TRASH_DAYS = env_int("TRASH_DAYS", 30, minimum=1)
TRASH_PURGE_INTERVAL = env_int("TRASH_PURGE_INTERVAL", 3600, minimum=60)
# Storage per user in MB (originals and renditions, trash included); 0 means unlimited.
STORAGE_QUOTA_MB = env_int("STORAGE_QUOTA_MB", 0, minimum=0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: DRF's browsable API (an HTML developer page) is for DEBUG, never for visitors.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PAGINATION_CLASS": "memory_studio.api.ApiPagination",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 50, minimum=1),
    # One place maps the application's errors to answers; the schema documents what it answers.
    "EXCEPTION_HANDLER": "memory_studio.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "memory_studio.schema.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Memory Studio API",
    "DESCRIPTION": "Private photo gallery with search by face.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No online validator badge: the docs page loads nothing from outside this site.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
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
# `celery -A memory_studio beat` retries storage deletions that failed while the storage was down.
CELERY_BEAT_SCHEDULE = {
    "retry-pending-deletions": {
        "task": "gallery.tasks.retry_pending_deletions",
        "schedule": float(env_int("STORAGE_SWEEP_INTERVAL", 900, minimum=10)),
    },
    # Deletes for good the photos that have been in the trash for more than TRASH_DAYS.
    "purge-trash": {
        "task": "gallery.tasks.purge_trash",
        "schedule": float(TRASH_PURGE_INTERVAL),
    },
    # Expired library exports (exports app): their zips leave the storage.
    "purge-exports": {
        "task": "exports.tasks.purge_exports",
        "schedule": float(env_int("EXPORT_PURGE_INTERVAL", 3600, minimum=60)),
    },
}

# Library exports (exports app): how long a finished export's download link stays valid.
EXPORT_DAYS = env_int("EXPORT_DAYS", 7, minimum=1)

# Face recognition
# Whether new accounts start with face recognition on ("on") or must turn it on themselves ("off").
FACE_RECOGNITION_DEFAULT = env_choice("FACE_RECOGNITION_DEFAULT", "on", ("on", "off")) == "on"
# Operators (superusers only) may see users' originals, renditions and face crops in the admin.
ADMIN_CAN_VIEW_USER_MEDIA = env_bool("ADMIN_CAN_VIEW_USER_MEDIA", False)
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
# A cosine similarity; unset: the model's own search threshold.
RECOGNITION_SEARCH_THRESHOLD = env_optional_float("RECOGNITION_SEARCH_THRESHOLD", minimum=-1.0, maximum=1.0)
RECOGNITION_INDEX_CACHE_OWNERS = env_int("RECOGNITION_INDEX_CACHE_OWNERS", 64, minimum=1)
# A worker retries an indexing job that met a transient error (database or storage down) after
# 2, 4, 8, ... seconds, at most this many (5 retries, then the photo is marked failed).
RECOGNITION_RETRY_MAX_DELAY = env_int("RECOGNITION_RETRY_MAX_DELAY", 60, minimum=1)
# CPU threads of the face model per process role (0: every core the process may use), set when
# the process first loads the model: web processes (gunicorn, runserver; inline indexing runs
# there too), Celery workers, and other management commands. Measured with the worker's lower
# priority below and OpenMP's own wait policy: bench/search_under_load.py,
# bench/results/search_under_load.json.
RECOGNITION_THREADS_WEB = env_int("RECOGNITION_THREADS_WEB", 0, minimum=0)
RECOGNITION_THREADS_WORKER = env_int("RECOGNITION_THREADS_WORKER", 0, minimum=0)
RECOGNITION_THREADS_COMMAND = env_int("RECOGNITION_THREADS_COMMAND", 0, minimum=0)
# A Celery worker lowers its CPU priority by this much (nice): a search waits for no indexing job,
# and a worker alone still uses every core. 0 keeps the priority it was started with.
RECOGNITION_WORKER_NICE = env_int("RECOGNITION_WORKER_NICE", 10, minimum=0)
# OpenMP reads OMP_WAIT_POLICY itself when torch loads; it is only checked here. Unset (OpenMP's
# default: a waiting thread spins briefly, then sleeps) measured best; PASSIVE never spins (a
# search idle ~15 % slower), ACTIVE always spins (processes sharing cores starve each other).
OMP_WAIT_POLICY = (
    env_choice("OMP_WAIT_POLICY", "", ("passive", "active")) if env_optional("OMP_WAIT_POLICY") else None
)
# A query photo (its preview, faces and embeddings, never the original) is kept this long so
# that results survive Back and reload; each user keeps at most SEARCH_QUERY_MAX_PER_USER.
SEARCH_QUERY_TTL_HOURS = env_int("SEARCH_QUERY_TTL_HOURS", 24, minimum=1)
SEARCH_QUERY_MAX_PER_USER = env_int("SEARCH_QUERY_MAX_PER_USER", 50, minimum=1)
SEARCH_QUERY_PREVIEW_SIZE = env_int("SEARCH_QUERY_PREVIEW_SIZE", 1024, minimum=64)
# A JPEG query photo is decoded at a reduced DCT scale (1/2, 1/4, 1/8) keeping its longest side
# at least this: detection runs at RECOGNITION_DETECT_MAX_SIDE, and a face of 5 % of the photo
# keeps ~75 px for the 150 px chip (a 12 MP phone photo decodes at 2016 x 1512, about 3x faster).
SEARCH_QUERY_DECODE_SIDE = env_int("SEARCH_QUERY_DECODE_SIDE", 1536, minimum=64)

# People: faces grouped into persons. Unset thresholds use the model's measured defaults
# (recognition.ml.people.default_params); grouping runs once uploads have been quiet this long.
PEOPLE_ASSIGN_SIMILARITY = env_optional_float("PEOPLE_ASSIGN_SIMILARITY", minimum=-1.0, maximum=1.0)
PEOPLE_ASSIGN_MARGIN = env_optional_float("PEOPLE_ASSIGN_MARGIN", minimum=0.0, maximum=2.0)
PEOPLE_SUGGEST_SIMILARITY = env_optional_float("PEOPLE_SUGGEST_SIMILARITY", minimum=-1.0, maximum=1.0)
PEOPLE_CLUSTER_SIMILARITY = env_optional_float("PEOPLE_CLUSTER_SIMILARITY", minimum=-1.0, maximum=1.0)
PEOPLE_MIN_CLUSTER_SIZE = env_optional_int("PEOPLE_MIN_CLUSTER_SIZE", minimum=1)
PEOPLE_REFRESH_DELAY = env_int("PEOPLE_REFRESH_DELAY", 30, minimum=0)
PEOPLE_REFRESH_MAX_WAIT = env_int("PEOPLE_REFRESH_MAX_WAIT", 600, minimum=0)

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
LANGUAGE_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
if SECURE_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # HSTS: browsers use HTTPS only, for a year by default (0 turns it off).
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # Preloading is a commitment made by submitting the domain to browsers' lists: opt-in.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]  # "SECURE_HSTS_PRELOAD is not True"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# ----------------------------------------------------------------------------------------------
# Limits and trust: SQLite under concurrent writers, request parsing, abuse limits, API tokens.
# ----------------------------------------------------------------------------------------------

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default serves several requests at once (a threaded server, inline indexing).
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock when a transaction
    # begins, so a second writer waits for it (up to the timeout) instead of failing at once with
    # "database is locked" when two transactions that began as readers both try to write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT", 30, minimum=1),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

# The API's JSON parser refuses deeply nested documents (400) and oversized bodies (413).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "memory_studio.parsers.BoundedJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]

# Abuse limits: failed logins per client address and per username (login form and token API
# alike), searches per user. The counters live in the cache: in each process's memory without
# CACHE_URL (right for the single process of `make run`), shared by every web process with
# CACHE_URL=redis://host:6379/1. Behind reverse proxies, NUM_PROXIES says how many, so that the
# client address comes from X-Forwarded-For; with 0 it is the connection's address.
CACHES = {"default": env_cache("CACHE_URL")}
REST_FRAMEWORK["NUM_PROXIES"] = env_int("NUM_PROXIES", 0, minimum=0)
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "login_ip": env_rate("THROTTLE_LOGIN_IP", "20/hour"),
    "login_username": env_rate("THROTTLE_LOGIN_USERNAME", "50/day"),
    "search": env_rate("THROTTLE_SEARCH", "60/minute"),
    # Password reset requests, per client address and per e-mail address typed (known or not).
    "password_reset_ip": env_rate("THROTTLE_PASSWORD_RESET_IP", "10/hour"),
    "password_reset_email": env_rate("THROTTLE_PASSWORD_RESET_EMAIL", "3/hour"),
    # Wrong passwords typed on an album's share link page, per client address and per link.
    "share_password_ip": env_rate("THROTTLE_SHARE_PASSWORD_IP", "20/hour"),
    "share_password_link": env_rate("THROTTLE_SHARE_PASSWORD_LINK", "100/day"),
}

# API tokens: token authentication first, so that a missing or refused token answers 401 (with
# WWW-Authenticate), not 403. API_TOKEN_TTL_DAYS (unset or 0: never) makes tokens expire; an
# expired token is refused and deleted, and logging in gives a new one.
API_TOKEN_TTL_DAYS: int | None = env_int("API_TOKEN_TTL_DAYS", 0, minimum=0) or None
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "accounts.authentication.ExpiringTokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
