"""WSGI entry point (gunicorn -c gunicorn.conf.py memory_studio.wsgi)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from memory_studio.wsgi_body import DrainRequestBody

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memory_studio.settings")

# Unread request bodies are read before each response, so kept-alive connections survive
# early answers (403, 404); the bound is the largest request the site accepts.
application = DrainRequestBody(
    get_wsgi_application(),
    max_bytes=settings.MAX_UPLOAD_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
)

# A web server process: torch's threads for short inferences that requests wait for. The face
# model is loaded once per process, before the first request needs it.
from recognition.runtime import set_process_role  # noqa: E402

set_process_role("web")
if settings.RECOGNITION_PRELOAD:
    from recognition.runtime import preload

    preload()
