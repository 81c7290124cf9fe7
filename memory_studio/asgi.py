"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memory_studio.settings")

application = get_asgi_application()

from recognition.runtime import set_process_role  # noqa: E402

set_process_role("web")
