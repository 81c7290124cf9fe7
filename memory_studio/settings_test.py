"""Test overrides: a fixed key, fast hashing, media in a temporary folder."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("RECOGNITION_PRELOAD", "0")

from memory_studio.settings import *  # noqa: F403
from memory_studio.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="memory-studio-test-media-"))
if STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    STORAGES["default"]["OPTIONS"]["location"] = str(MEDIA_ROOT)
ALLOWED_HOSTS = ["*"]
