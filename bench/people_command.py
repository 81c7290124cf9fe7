"""People through the database: `manage.py cluster_faces` on a synthetic library of one user, and the
grouping run that follows one more upload.

    python bench/people_command.py [--faces 100000] [--database-url URL] [--name people_command]

Creates a throw-away SQLite database (or uses --database-url, e.g. a scratch PostgreSQL database),
one user, and `--faces` Face rows (bench/people_synthetic.py: dlib-resnet-like statistics, several
faces per photo, small and low-score faces) on Photo rows without files (grouping never reads
images). Then measures, in this process:

* `cluster_faces --user`: wall time, peak RSS growth (the process's high-water mark, ru_maxrss, over
  what storing the library already used) and its summary (persons created, faces placed);
* one more face of a known person, then the grouping run an upload triggers (`people_refresh`):
  wall time of the whole run (load + assign + cluster the unassigned rest + write).

Bar (issue 9): cluster_faces at 100k faces <= 60 s on the project's 2-core machines.
Writes bench/results/<name>.json with the environment (commit, CPU, threads, load, GEMM speed).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--faces", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--name", default="people_command")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="memory-studio-people-bench-"))
    os.environ["MEMORY_STUDIO_DATA_DIR"] = str(workdir)
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["RECOGNITION_PRELOAD"] = "0"
    os.environ.pop("CELERY_BROKER_URL", None)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "memory_studio.settings"

    import django

    django.setup()
    import io

    import numpy as np
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from bench.db_library import file_less_photo
    from bench.people_data import reference_gflops, write_result
    from bench.people_synthetic import synthetic_library
    from gallery.models import Photo
    from people.models import Person
    from people.services import people_refresh
    from recognition.models import Face

    call_command("migrate", verbosity=0, interactive=False)
    gflops = reference_gflops()
    user = User.objects.create_user("bench", password="bench-pass-123")
    lib = synthetic_library(args.faces, seed=0)
    began = time.perf_counter()
    now = timezone.now()
    photo_of: dict[int, int] = {}
    unique_photos = np.unique(lib.photo_ids).tolist()
    for start in range(0, len(unique_photos), 5000):
        chunk = unique_photos[start : start + 5000]
        made = Photo.objects.bulk_create([file_less_photo(owner=user, k=k, taken_at=now) for k in chunk])
        photo_of.update({k: p.pk for k, p in zip(chunk, made, strict=True)})
    marks = [[10.0, 10.0], [30.0, 10.0], [20.0, 20.0], [12.0, 30.0], [28.0, 30.0]]
    rows = []
    for i in range(len(lib.vectors)):
        side = float(lib.sizes[i])
        rows.append(
            Face(
                owner=user,
                photo_id=photo_of[int(lib.photo_ids[i])],
                model_key="dlib-resnet",
                x1=100.0 * (i % 7),
                y1=10.0,
                x2=100.0 * (i % 7) + side,
                y2=10.0 + side,
                landmarks=marks,
                score=float(lib.scores[i]),
                dim=128,
                embedding=np.asarray(lib.vectors[i], dtype="<f4").tobytes(),
            )
        )
    Face.objects.bulk_create(rows, batch_size=2000)
    load_seconds = time.perf_counter() - began
    print(f"{len(rows)} faces on {len(photo_of)} photos stored in {load_seconds:.1f} s")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    out = io.StringIO()
    call_command("cluster_faces", "--user", "bench", stdout=out, stderr=io.StringIO())
    command_seconds = time.perf_counter() - began
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before  # KiB on Linux
    print(out.getvalue().strip())
    print(f"cluster_faces: {command_seconds:.1f} s, peak RSS growth {rss_growth / 1024:.0f} MiB")

    # One more upload of a known person: the grouping run it triggers.
    person = Person.objects.filter(owner=user).order_by("-id").first()
    assert person is not None
    vector = np.mean([f.vector() for f in Face.objects.filter(person=person)[:20]], axis=0)
    vector /= np.linalg.norm(vector)
    photo = Photo.objects.create(
        owner=user,
        original="bench/new.jpg",
        thumbnail="bench/new-t.jpg",
        display="bench/new-d.jpg",
        content_hash="f" * 64,
        width=2000,
        height=1500,
        size=1,
        mime_type="image/jpeg",
        taken_at=now,
    )
    new = Face.objects.create(
        owner=user,
        photo=photo,
        model_key="dlib-resnet",
        x1=10,
        y1=10,
        x2=210,
        y2=210,
        landmarks=marks,
        score=0.999,
        dim=128,
        embedding=vector.astype("<f4").tobytes(),
    )
    began = time.perf_counter()
    summary = people_refresh(owner_id=user.pk)
    refresh_seconds = time.perf_counter() - began
    new.refresh_from_db()
    print(f"refresh after one upload: {refresh_seconds:.2f} s; the new face went to person {new.person_id}")

    path = write_result(
        args.name,
        {
            "database": "postgresql" if args.database_url else "sqlite",
            "faces": len(rows),
            "photos": len(photo_of),
            "reference_gflops": round(gflops, 1),
            "store_seconds": round(load_seconds, 2),
            "cluster_faces": {
                "seconds": round(command_seconds, 2),
                "peak_rss_growth_mib": round(rss_growth / 1024, 1),
                "summary": out.getvalue().strip(),
                "persons": Person.objects.filter(owner=user).count(),
            },
            "refresh_after_one_upload": {
                "seconds": round(refresh_seconds, 3),
                "new_face_assigned_to_the_right_person": new.person_id == person.pk,
                "faces_unassigned": summary.unassigned,
            },
            "bar_seconds": 60,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
