"""Memory of a library export: ~1 GB of originals zipped into the storage, peak RSS growth.

    python bench/export_memory.py [--photos 500] [--megabytes 2] [--name export_memory]

Builds a throw-away library (SQLite, local storage in a temporary folder): one user, `--photos`
Photo rows (bench/db_library.py) whose originals are `--megabytes` MB files of random bytes
(incompressible, like JPEGs), each with two faces of 20 named persons (Korean names), all in one
album. Then, in this process, as the job runs without a broker:

1. warms up with the export of a one-photo library (imports and first-use caches are not growth);
2. resets this process's RSS high-water mark (/proc/self/clear_refs), notes its RSS, runs the
   export (exports.services.export_create: the job runs inline once it commits); the peak RSS
   (VmHWM) minus the RSS before is the peak RSS growth the export caused;
3. checks what was stored: the zip's entries (originals, XMP sidecars, library.json).

Bar (issue 11): an export of 500 photos (about 1 GB) with peak RSS growth < 150 MB.
Writes bench/results/<name>.json with the environment (commit, CPU, load) and figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024
NAMES = ["김민지", "이서준", "박지우", "최하은", "정도윤", "강서연", "조민준", "윤지아", "장하준", "임수아"]


def _status() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in KiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def _library(owner: Any, *, photos: int, megabytes: int, first: int) -> int:
    """Photos with files, two named faces each, all in one album. Returns the originals' bytes."""
    import numpy as np
    from django.utils import timezone

    from bench.db_library import file_less_photo
    from gallery.models import Album, AlbumPhoto, Photo
    from gallery.storage import photo_storage
    from people.models import Person
    from recognition.models import Face

    storage = photo_storage()
    block = random.Random(first).randbytes(megabytes * 1_000_000)
    now = timezone.now()
    rows = []
    for k in range(first, first + photos):
        photo = file_less_photo(owner=owner, k=k, taken_at=now - dt.timedelta(hours=k))
        photo.original.name = f"photos/originals/bench/{k:05d}.jpg"
        photo.original_filename = f"IMG_{k % 50:04d}.jpg"  # clashes, as a camera's numbers do
        photo.title = f"사진 {k}"
        path = Path(storage.path(photo.original.name))  # bench set-up only: local disk by design
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            f.write(k.to_bytes(8, "big"))
            f.write(block)
        photo.size = path.stat().st_size
        rows.append(photo)
    Photo.objects.bulk_create(rows)
    del block
    saved = list(Photo.objects.filter(owner=owner).order_by("id"))
    persons = Person.objects.bulk_create(
        [Person(owner=owner, name=f"{NAMES[n % len(NAMES)]} {n}") for n in range(20)]
    )
    vector = (np.ones(128, dtype=np.float32) / np.sqrt(128)).tobytes()
    faces = [
        Face(
            owner=owner,
            photo=photo,
            model_key="dlib-resnet",
            x1=100.0 + 600 * side,
            y1=200.0,
            x2=400.0 + 600 * side,
            y2=600.0,
            score=0.99,
            dim=128,
            embedding=vector,
            person=persons[(n + side) % len(persons)],
            person_source="confirmed",
        )
        for n, photo in enumerate(saved)
        for side in (0, 1)
    ]
    Face.objects.bulk_create(faces, batch_size=1000)
    album = Album.objects.create(owner=owner, name="전체")
    AlbumPhoto.objects.bulk_create(
        [AlbumPhoto(album=album, photo=photo, position=n) for n, photo in enumerate(saved)], batch_size=1000
    )
    return sum(p.size for p in rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--megabytes", type=int, default=2)
    parser.add_argument("--name", default="export_memory")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="memory-studio-export-bench-"))
    os.environ.update(
        {
            "MEMORY_STUDIO_DATA_DIR": str(workdir),
            "SECRET_KEY": "bench-" + "k" * 50,
            "RECOGNITION_PRELOAD": "0",
            "DJANGO_SETTINGS_MODULE": "memory_studio.settings",
        }
    )
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "AWS_STORAGE_BUCKET_NAME", "MEDIA_ROOT"):
        os.environ.pop(name, None)

    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from bench.people_data import write_result
    from exports.models import Export
    from exports.services import export_create
    from gallery.storage import photo_storage

    call_command("migrate", verbosity=0, interactive=False)
    warm = User.objects.create_user("warm-up", password="bench-pass-123")
    _library(warm, photos=1, megabytes=1, first=1_000_000)
    user = User.objects.create_user("bench", password="bench-pass-123")
    originals = _library(user, photos=args.photos, megabytes=args.megabytes, first=0)
    print(f"{args.photos} photos, {originals / 1e9:.2f} GB of originals in {workdir}")

    warm_export = export_create(owner=warm)  # no transaction around it: the job runs on commit
    warm_export.refresh_from_db()
    if warm_export.status != Export.Status.DONE:
        raise RuntimeError(f"warm-up export {warm_export.status}: {warm_export.error}")

    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _status()
    began = time.perf_counter()
    export = export_create(owner=user)
    seconds = time.perf_counter() - began
    after = _status()
    export.refresh_from_db()
    if export.status != Export.Status.DONE:
        raise RuntimeError(f"export {export.status}: {export.error}")

    storage = photo_storage()
    with storage.open(export.file_name, "rb") as stored:
        archive = zipfile.ZipFile(stored)
        names = archive.namelist()
        library = json.loads(archive.read("library.json"))
    sidecars = [n for n in names if n.endswith(".xmp")]
    if len(names) != 2 * args.photos + 1 or len(sidecars) != args.photos:
        raise RuntimeError(f"{len(names)} entries for {args.photos} photos")
    if len(library["photos"]) != args.photos or len(library["persons"]) != 20:
        raise RuntimeError("library.json does not list the library")
    row = {
        "photos": args.photos,
        "originals_bytes": originals,
        "zip_bytes": export.size,
        "entries": len(names),
        "xmp_sidecars": len(sidecars),
        "seconds": round(seconds, 1),
        "rss_before_mib": round(before["VmRSS"] / 1024, 1),
        "peak_rss_mib": round(after["VmHWM"] / 1024, 1),
        "peak_rss_growth_mib": round((after["VmHWM"] - before["VmRSS"]) / 1024, 1),
    }
    print(
        f"{row['photos']} photos: {row['zip_bytes'] / 1e9:.3f} GB zip ({row['entries']} entries) in "
        f"{row['seconds']} s, RSS {row['rss_before_mib']} MiB before, "
        f"peak growth {row['peak_rss_growth_mib']} MiB"
    )
    figures = {
        "process": "one Python process running the export job inline (no broker), local-disk storage",
        "original_megabytes": args.megabytes,
        "run": row,
        "bar": "an export of 500 photos (about 1 GB) with peak RSS growth < 150 MB",
        "bar_met": args.photos >= 500 and originals >= 1e9 and row["peak_rss_growth_mib"] * MIB < 150e6,
    }
    out = write_result(args.name, figures)
    print(f"bar met: {figures['bar_met']}; wrote {out}")
    for path in sorted(workdir.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    workdir.rmdir()


if __name__ == "__main__":
    main()
