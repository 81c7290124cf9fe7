"""Memory of a streamed zip download: a ~1 GB selection through gunicorn, peak RSS growth.

    python bench/zip_stream.py [--photos 100] [--megabytes 10] [--name zip_stream]

Builds a throw-away library (SQLite, local storage in a temporary folder): one user, `--photos`
Photo rows (bench/db_library.py) whose originals are `--megabytes` MB files of random bytes
(incompressible, like JPEGs). Then runs gunicorn as configured (gunicorn.conf.py, gthread, here
one worker so there is one process to measure) and, with an API token:

1. warms the worker up with a one-photo download (imports and first-use caches are not growth);
2. resets the worker's RSS high-water mark (/proc/<pid>/clear_refs), notes its RSS, downloads
   a tenth of the selection, then all of it (POST /api/photos/download/), reading the answer
   in 1 MiB pieces as a browser would; after each, the worker's VmHWM minus the RSS before it
   is the peak RSS growth that download caused;
3. checks what arrived: the byte count and the archive's end record (entries, ZIP64).

Bar (issue 10): a 1 GB selection zipped with peak RSS growth < 100 MB.
Writes bench/results/<name>.json with the environment (commit, CPU, threads, load) and figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _download(port: int, token: str, ids: list[int]) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    body = json.dumps({"photos": ids})
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    began = time.perf_counter()
    conn.request("POST", "/api/photos/download/", body=body, headers=headers)
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"download answered {response.status}: {response.read()[:500]!r}")
    size = 0
    tail = b""
    while piece := response.read(MIB):
        size += len(piece)
        tail = (tail + piece)[-MIB:]
    conn.close()
    seconds = time.perf_counter() - began
    # The end of central directory record (and its ZIP64 twin, past 4 GiB or 65,535 entries).
    end = tail.rfind(b"PK\x05\x06")
    if end < 0:
        raise RuntimeError("the archive has no end record")
    entries = struct.unpack("<H", tail[end + 10 : end + 12])[0]
    zip64 = tail.rfind(b"PK\x06\x06") >= 0
    if zip64:
        at = tail.rfind(b"PK\x06\x06")
        entries = struct.unpack("<Q", tail[at + 32 : at + 40])[0]
    return {
        "content_type": response.getheader("Content-Type"),
        "content_length_header": response.getheader("Content-Length"),
        "archive_bytes": size,
        "entries": entries,
        "zip64_end_record": zip64,
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--megabytes", type=int, default=10)
    parser.add_argument("--name", default="zip_stream")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="memory-studio-zip-bench-"))
    env = {
        "MEMORY_STUDIO_DATA_DIR": str(workdir),
        "SECRET_KEY": "bench-" + "k" * 50,
        "RECOGNITION_PRELOAD": "0",
        "DJANGO_SETTINGS_MODULE": "memory_studio.settings",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DOWNLOAD_MAX_PHOTOS": str(max(args.photos, 1)),
    }
    os.environ.update(env)
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "AWS_STORAGE_BUCKET_NAME", "MEDIA_ROOT"):
        os.environ.pop(name, None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from bench.db_library import file_less_photo
    from bench.people_data import write_result
    from gallery.models import Photo
    from gallery.storage import photo_storage
    from memory_studio.tests.servers import free_port

    call_command("migrate", verbosity=0, interactive=False)
    user = User.objects.create_user("bench", password="bench-pass-123")
    token = Token.objects.create(user=user).key
    storage = photo_storage()
    block = random.Random(0).randbytes(args.megabytes * 1_000_000)
    now = timezone.now()
    photos = []
    for k in range(args.photos):
        photo = file_less_photo(owner=user, k=k, taken_at=now - dt.timedelta(minutes=k))
        photo.original.name = f"photos/originals/bench/{k:05d}.jpg"
        photo.original_filename = f"IMG_{k % 50:04d}.jpg"  # clashes, as a camera's numbers do
        path = Path(storage.path(photo.original.name))  # bench set-up only: local disk by design
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            f.write(k.to_bytes(8, "big"))
            f.write(block)
        photo.size = path.stat().st_size
        photos.append(photo)
    Photo.objects.bulk_create(photos)
    del block
    ids = list(Photo.objects.filter(owner=user).values_list("id", flat=True))
    total = sum(p.size for p in photos)
    print(f"{len(ids)} photos, {total / 1e9:.2f} GB of originals in {workdir}")

    port = free_port()
    log = (workdir / "gunicorn.log").open("w+")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "memory_studio.wsgi",
            "-c",
            "gunicorn.conf.py",
            "--workers",
            "1",
            "--timeout",
            "600",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    runs = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=5).request("GET", "/favicon.ico")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"gunicorn did not start:\n{log.read()}") from None
                time.sleep(0.2)
        workers: list[int] = []
        while not workers:
            workers = _children(server.pid)
            time.sleep(0.1)
        worker = workers[0]
        _download(port, token, ids[:1])  # warm-up
        for part in (ids[: max(1, len(ids) // 10)], ids):
            Path(f"/proc/{worker}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
            before = _status(worker)
            got = _download(port, token, part)
            after = _status(worker)
            row = {
                "photos": len(part),
                "originals_bytes": sum(p.size for p in photos[: len(part)]),
                **got,
                "worker_rss_before_mib": round(before["VmRSS"] / 1024, 1),
                "worker_peak_rss_mib": round(after["VmHWM"] / 1024, 1),
                "peak_rss_growth_mib": round((after["VmHWM"] - before["VmRSS"]) / 1024, 1),
            }
            if row["entries"] != len(part):
                raise RuntimeError(f"{row['entries']} entries for {len(part)} photos")
            runs.append(row)
            print(
                f"{row['photos']:>5} photos: {row['archive_bytes'] / 1e9:.3f} GB zip in {row['seconds']} s, "
                f"worker RSS {row['worker_rss_before_mib']} MiB before, peak growth "
                f"{row['peak_rss_growth_mib']} MiB"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    largest = runs[-1]
    figures = {
        "server": "gunicorn -c gunicorn.conf.py --workers 1 (gthread, 4 threads)",
        "original_megabytes": args.megabytes,
        "runs": runs,
        "bar": "a 1 GB selection zipped with peak RSS growth < 100 MB",
        "bar_met": largest["originals_bytes"] >= 1e9 and largest["peak_rss_growth_mib"] * MIB < 100e6,
    }
    out = write_result(args.name, figures)
    print(f"bar met: {figures['bar_met']}; wrote {out}")
    for path in sorted(workdir.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    workdir.rmdir()


if __name__ == "__main__":
    main()
