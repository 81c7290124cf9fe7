import os

# OpenMP (torch's CPU thread pool) reads its wait policy once, when torch loads: it must be in
# the environment before anything imports torch, and every process of the site (gunicorn,
# Celery, manage.py) imports this package first. PASSIVE: a thread waiting for work sleeps
# instead of spinning on a core another process needs (recognition/ml/threads.py). Settings
# validate the value (OMP_WAIT_POLICY); set it to ACTIVE to get OpenMP's default back.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from memory_studio.celery import app as celery_app

__all__ = ["celery_app"]
