"""WSGI entry point (gunicorn memory_studio.wsgi)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memory_studio.settings")

application = get_wsgi_application()

# Load the face model once per web server process, before the first request needs it.
if settings.RECOGNITION_PRELOAD:
    from recognition.runtime import preload

    preload()
