"""gunicorn settings for Memory Studio: `gunicorn -c gunicorn.conf.py memory_studio.wsgi`.

Threaded workers (gthread) keep client connections alive between requests; the application
drains unread request bodies before answering (memory_studio/wsgi_body.py), so that an early
answer (403, 404) never costs the client its next request on the same connection.
Command-line options override these (e.g. `--bind 0.0.0.0:8000`, `--workers 4`).
"""

worker_class = "gthread"
workers = 2
threads = 4
# Seconds an idle kept-alive connection stays open; above a proxy's idle timeout is not needed.
keepalive = 5
