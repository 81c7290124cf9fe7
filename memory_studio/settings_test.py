"""Test overrides: a fixed key, fast hashing, media in a temporary folder."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("RECOGNITION_PRELOAD", "0")
# Tests name the test process a worker now and then: it must not lower its own priority.
os.environ.setdefault("RECOGNITION_WORKER_NICE", "0")

from memory_studio.settings import *  # noqa: F403
from memory_studio.settings import DATABASES, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A worker process started by a test shares the test's media folder and database file.
MEDIA_ROOT = Path(
    os.environ.get("MEMORY_STUDIO_TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="memory-studio-test-media-")
)
if STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    STORAGES["default"]["OPTIONS"]["location"] = str(MEDIA_ROOT)
ALLOWED_HOSTS = ["*"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so that a Celery worker process can open the test database too.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.mkdtemp(prefix="memory-studio-test-db-")) / "test.sqlite3")
    }
# Throttle counters in this process's memory, whatever CACHE_URL says (tests clear the cache).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
