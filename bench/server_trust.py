"""Server trust figures: kept-alive connections dropped after early answers, and how long a hung
S3 holds an upload.

    python bench/server_trust.py [--requests 200] [--sizes 100 10000 262144] [--skip-old-s3]

1. gunicorn (gunicorn.conf.py: gthread, 2 workers x 4 threads), one persistent HTTP/1.1
   connection, requests alternating between a page and requests answered before their body is
   read (403, 404), for several body sizes; the application as served (`memory_studio.wsgi`,
   which drains unread bodies) against plain Django (`django.core.wsgi.get_wsgi_application()`).
   gunicorn runs with --keep-alive 1 here so that each dropped request costs one second.
2. S3Storage.save() against a socket that accepts and never answers, with the production
   timeouts (settings.AWS_S3_*) and with the old ones (read 30 s, max_attempts 3 = 4 attempts).

Writes bench/results/server_trust.json (commit, CPU, load average, figures).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memory_studio.settings_test")

import django  # noqa: E402

django.setup()

from botocore.config import Config  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from storages.backends.s3 import S3Storage  # noqa: E402

from memory_studio.tests.servers import SilentServer, gunicorn  # noqa: E402


def keepalive_drops(app: str, size: int, requests: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "DJANGO_SETTINGS_MODULE": "memory_studio.settings",
            "SECRET_KEY": "bench-" + "k" * 50,
            "MEMORY_STUDIO_DATA_DIR": tmp,
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "ALLOWED_HOSTS": "127.0.0.1",
            "RECOGNITION_PRELOAD": "0",
        }
        with (
            (Path(tmp) / "gunicorn.log").open("w+") as log,
            gunicorn(env, log, "-c", "gunicorn.conf.py", "--keep-alive", "1", app=app) as url,
        ):
            host, port = url.removeprefix("http://").split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            early = [
                ("POST", "/api/photos/", 403),
                ("POST", "/accounts/login/", 403),
                ("PATCH", "/nope/", 404),
            ]
            dropped = 0
            started = time.perf_counter()
            for i in range(requests):
                if i % 2:
                    method, path, _ = early[(i // 2) % len(early)]
                    body: bytes | None = b"x" * size
                    headers = {"Content-Type": "application/octet-stream"}
                else:
                    method, path, body, headers = "GET", "/accounts/login/", None, {}
                try:
                    conn.request(method, path, body=body, headers=headers)
                    conn.getresponse().read()
                except (ConnectionError, http.client.HTTPException, TimeoutError):
                    dropped += 1
                    conn.close()
                    conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.close()
    return {
        "app": app,
        "body_bytes": size,
        "requests": requests,
        "dropped": dropped,
        "seconds": round(time.perf_counter() - started, 1),
    }


def hung_s3_save(config: Config) -> float:
    hung = SilentServer()
    storage = S3Storage(
        bucket_name="photos",
        endpoint_url=f"http://127.0.0.1:{hung.port}",
        access_key="t",
        secret_key="t",
        region_name="us-east-1",
        file_overwrite=False,
        client_config=config,
    )
    started = time.perf_counter()
    try:
        storage.save("photos/originals/xx/bench.jpg", ContentFile(b"x" * 1024))
    except Exception:  # noqa: BLE001 - the failure is what is measured
        pass
    finally:
        hung.close()
    return round(time.perf_counter() - started, 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000, 262_144])
    parser.add_argument("--skip-old-s3", action="store_true", help="Skip the old S3 config (~2 minutes).")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "commit": subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=BASE_DIR, check=False
        ).stdout.strip(),
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        ),
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "keepalive": [],
        "hung_s3": {},
    }
    for size in args.sizes:
        for app in ("memory_studio.wsgi", "django.core.wsgi:get_wsgi_application()"):
            row = keepalive_drops(app, size, args.requests)
            print(f"keep-alive {app:45} body {size:>7} B: {row['dropped']:>3}/{row['requests']} dropped")
            results["keepalive"].append(row)
    now = Config(
        signature_version="s3v4",
        connect_timeout=settings.AWS_S3_CONNECT_TIMEOUT,
        read_timeout=settings.AWS_S3_READ_TIMEOUT,
        retries={"total_max_attempts": settings.AWS_S3_MAX_ATTEMPTS, "mode": "standard"},
    )
    results["hung_s3"]["production_seconds"] = hung_s3_save(now)
    print(f"hung S3, production timeouts: save failed after {results['hung_s3']['production_seconds']} s")
    if not args.skip_old_s3:
        old = Config(
            signature_version="s3v4",
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
        )
        results["hung_s3"]["old_seconds"] = hung_s3_save(old)
        print(f"hung S3, old timeouts: save failed after {results['hung_s3']['old_seconds']} s")
    results["load_average_after"] = os.getloadavg()
    out = BASE_DIR / "bench" / "results" / "server_trust.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
