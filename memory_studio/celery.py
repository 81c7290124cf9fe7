"""Celery application. Without CELERY_BROKER_URL every task runs inline (eager)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memory_studio.settings")

app = Celery("memory_studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
