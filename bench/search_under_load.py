"""Search latency while photos are being indexed, on the production server.

    python bench/search_under_load.py [--variants before shipped web1 worker1] [--modes celery inline]
                                      [--batch 60] [--idle-searches 15] [--postgres URL]

One library (the photos of MEMORY_STUDIO_FACES_DIR, indexed) is prepared once; then, for each
thread-policy variant and each way of indexing, a copy of it is served by gunicorn with the
production settings (gunicorn.conf.py: 2 workers x 4 threads, model preloaded) and:

1. idle: searches one after another with a 2 MP JPEG query photo (POST /api/search/);
2. indexing alone: a batch of new photos is uploaded and indexed, nothing else runs;
3. under load: another batch is uploaded and indexed while searches run one after another.

"celery" indexes in a Celery worker process on Redis (`celery -A memory_studio worker
--concurrency 1`, as the README's production section runs it); "inline" has no broker, so each
upload request indexes in the web process. "before" serves the same library with the code of
--before (a git revision, checked out into a temporary worktree: the commit before the thread
policy, whose processes ran OpenMP's default wait and every core everywhere); "shipped" is
this code with its defaults; the others change one setting of both processes each.

Writes bench/results/search_under_load.json (commit, CPU, load average, figures): latency
p50/p95 idle and under load, their ratio, photos/s alone and under load; and a query photo's
decode time at full size and at the reduced JPEG scale search uses.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memory_studio.settings_test")

import requests  # noqa: E402
from PIL import Image, ImageEnhance, ImageOps  # noqa: E402

from bench.people_data import write_result  # noqa: E402
from memory_studio.tests.servers import gunicorn  # noqa: E402

BROKER_URL = os.environ.get("MEMORY_STUDIO_BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
# The commit before the thread policy (recognition/ml/threads.py) existed.
BEFORE_REVISION = "7b81bfc"
VARIANTS: dict[str, dict[str, str]] = {
    "before": {},  # served from BEFORE_REVISION's code
    "shipped": {},
    "web1": {"RECOGNITION_THREADS_WEB": "1"},
    "worker1": {"RECOGNITION_THREADS_WORKER": "1"},
    "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
    "active": {"OMP_WAIT_POLICY": "ACTIVE"},
    "nice0": {"RECOGNITION_WORKER_NICE": "0"},
}
USERNAME, PASSWORD = "bench", "bench-password-123"


@dataclass
class Library:
    """A prepared data directory (and database) with one user's indexed photos."""

    data_dir: Path
    database_url: str
    token: str
    photos: int


@dataclass
class RunResult:
    variant: str
    mode: str
    idle_ms: list[float] = field(default_factory=list)
    load_ms: list[float] = field(default_factory=list)
    alone_photos_per_s: float = 0.0
    load_photos_per_s: float = 0.0
    errors: int = 0

    def summary(self) -> dict[str, Any]:
        idle_p50, load_p50 = _pct(self.idle_ms, 50), _pct(self.load_ms, 50)
        return {
            "variant": self.variant,
            "mode": self.mode,
            "env": VARIANTS[self.variant],
            "idle_searches": len(self.idle_ms),
            "idle_p50_ms": idle_p50,
            "idle_p95_ms": _pct(self.idle_ms, 95),
            "load_searches": len(self.load_ms),
            "load_p50_ms": load_p50,
            "load_p95_ms": _pct(self.load_ms, 95),
            "load_over_idle_p50": load_p50 / idle_p50 if idle_p50 else None,
            "indexing_alone_photos_per_s": self.alone_photos_per_s,
            "indexing_under_search_photos_per_s": self.load_photos_per_s,
            "errors": self.errors,
        }


def _pct(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return float(statistics.quantiles(values, n=100, method="inclusive")[q - 1])


def _jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _two_megapixels(image: Image.Image) -> Image.Image:
    scale = (2_000_000 / (image.width * image.height)) ** 0.5
    return image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)


def make_batches(paths: list[Path], batch: int) -> tuple[list[bytes], list[bytes]]:
    """Two batches of new 2 MP photos, different from the library's and from each other (mirrored;
    cropped and brightened)."""
    first, second = [], []
    for path in paths[:batch]:
        image = Image.open(path).convert("RGB")
        first.append(_jpeg(_two_megapixels(ImageOps.mirror(image))))
    for path in paths[-batch:]:
        image = Image.open(path).convert("RGB")
        w, h = image.size
        cropped = image.crop((w // 20, h // 20, w - w // 20, h - h // 20))
        second.append(_jpeg(_two_megapixels(ImageEnhance.Brightness(cropped).enhance(1.1))))
    return first, second


def _server_env(library: Library, extra: dict[str, str]) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "memory_studio.settings",
        "SECRET_KEY": "bench-" + "k" * 50,
        "MEMORY_STUDIO_DATA_DIR": str(library.data_dir),
        "DATABASE_URL": library.database_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "RECOGNITION_PRELOAD": "1",
        "THROTTLE_SEARCH": "off",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def _clean_environ() -> dict[str, str]:
    """This process's environment without any setting of the face model or of OpenMP (this
    process runs with the test settings, which set some): each run says what it changes."""
    prefixes = ("RECOGNITION_", "OMP_", "GOMP_", "CELERY_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def prepare_library(faces: list[Path], work: Path, postgres: str | None) -> Library:
    """Migrate, create the user, upload and index the photos once (inline, in a subprocess)."""
    data_dir = work / "base"
    data_dir.mkdir()
    database_url = _database_url(postgres, "base", data_dir)
    if postgres:
        _pg_execute(postgres, "DROP DATABASE IF EXISTS bench_load_base")
        _pg_execute(postgres, "CREATE DATABASE bench_load_base")
    env = {**_clean_environ(), **_server_env(Library(data_dir, database_url, "", 0), {})}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    script = f"""
import sys
from pathlib import Path
from django.core.files.uploadedfile import SimpleUploadedFile
from accounts.models import User
from accounts.services import token_obtain
from gallery.services import photo_create
user = User.objects.create_user(username={USERNAME!r}, password={PASSWORD!r})
paths = [Path(p) for p in sys.stdin.read().split()]
for path in paths:
    photo_create(owner=user, upload=SimpleUploadedFile(path.name, path.read_bytes()))
print(token_obtain(user=user).key)
"""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        input="\n".join(str(p) for p in faces),
        capture_output=True,
        text=True,
        check=True,
    )
    token = done.stdout.strip().splitlines()[-1]
    return Library(data_dir, database_url, token, len(faces))


def _database_url(postgres: str | None, name: str, data_dir: Path) -> str:
    if postgres:
        return f"{postgres.rstrip('/').rsplit('/', 1)[0]}/bench_load_{name}"
    return f"sqlite:///{data_dir / 'db.sqlite3'}"


def _pg_execute(postgres: str, sql: str) -> None:
    import psycopg

    admin = f"{postgres.rstrip('/').rsplit('/', 1)[0]}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def library_copy(base: Library, work: Path, name: str, postgres: str | None) -> Iterator[Library]:
    """A copy of the prepared library that one run may change."""
    data_dir = work / name
    shutil.copytree(base.data_dir, data_dir)
    if postgres:
        _pg_execute(postgres, f"DROP DATABASE IF EXISTS bench_load_{name}")
        _pg_execute(postgres, f"CREATE DATABASE bench_load_{name} TEMPLATE bench_load_base")
    try:
        yield Library(data_dir, _database_url(postgres, name, data_dir), base.token, base.photos)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if postgres:
            _pg_execute(postgres, f"DROP DATABASE IF EXISTS bench_load_{name}")


def indexed_count(library: Library, ids: list[int]) -> int:
    marks = ",".join(str(int(i)) for i in ids)
    query = f"SELECT count(*) FROM gallery_photo WHERE index_status = 'indexed' AND id IN ({marks})"
    if library.database_url.startswith("sqlite:///"):
        path = library.database_url.removeprefix("sqlite:///")
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as conn:
            return int(conn.execute(query).fetchone()[0])
    import psycopg

    with psycopg.connect(library.database_url) as conn:
        row = conn.execute(query).fetchone()
        return int(row[0]) if row else 0


class Client:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.headers = {"Authorization": f"Token {token}"}

    def search(self, query: bytes) -> float:
        session = requests.Session()
        began = time.perf_counter()
        response = session.post(
            f"{self.url}/api/search/",
            files={"image": ("query.jpg", query, "image/jpeg")},
            headers=self.headers,
            timeout=120,
        )
        elapsed = time.perf_counter() - began
        response.raise_for_status()
        if not response.json()["results"]:
            raise RuntimeError("the query found nothing")
        return elapsed * 1000

    def upload(self, data: bytes) -> int:
        response = requests.post(
            f"{self.url}/api/photos/",
            files={"image": (f"{uuid.uuid4().hex}.jpg", data, "image/jpeg")},
            headers=self.headers,
            timeout=300,
        )
        response.raise_for_status()
        return int(response.json()["id"])


def index_batch(client: Client, library: Library, batch: list[bytes], stop: threading.Event) -> float:
    """Upload `batch` one photo after another and wait until every photo is indexed; photos/s."""
    began = time.perf_counter()
    ids = [client.upload(data) for data in batch]
    while indexed_count(library, ids) < len(ids):
        time.sleep(0.2)
    elapsed = time.perf_counter() - began
    stop.set()
    return len(batch) / elapsed


@contextmanager
def celery_worker(code: Path, env: dict[str, str], log: Any) -> Iterator[None]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "memory_studio",
            "worker",
            "--concurrency",
            "1",
            "--queues",
            env["CELERY_TASK_DEFAULT_QUEUE"],
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=code,
        env={**_clean_environ(), **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(8)  # the child process loads the model
        if process.poll() is not None:
            raise RuntimeError("the Celery worker exited early")
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(
    variant: str, mode: str, base: Library, work: Path, batches: tuple[list[bytes], list[bytes]], args: Any
) -> RunResult:
    result = RunResult(variant, mode)
    name = f"{variant}_{mode}"
    with library_copy(base, work, name, args.postgres) as library:
        extra = dict(VARIANTS[variant])
        if mode == "celery":
            extra |= {
                "CELERY_BROKER_URL": BROKER_URL,
                "CELERY_TASK_DEFAULT_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
            }
        env = _server_env(library, extra)
        code = args.before_code if variant == "before" else ROOT
        with (
            (work / f"{name}.log").open("w+") as log,
            gunicorn(
                env, log, "-c", "gunicorn.conf.py", cwd=code, environ=_clean_environ(), start_timeout=120
            ) as url,
            celery_worker(code, env, log) if mode == "celery" else _nothing(),
        ):
            client = Client(url, library.token)
            query = args.query
            for _ in range(3):  # warm-up: both web processes, first requests
                client.search(query)
            result.idle_ms = [client.search(query) for _ in range(args.idle_searches)]

            result.alone_photos_per_s = index_batch(client, library, batches[0], threading.Event())

            stop = threading.Event()
            rate: list[float] = []
            indexer = threading.Thread(
                target=lambda: rate.append(index_batch(client, library, batches[1], stop)), daemon=True
            )
            indexer.start()
            time.sleep(1.0)  # the indexer has started
            while not stop.is_set():
                try:
                    result.load_ms.append(client.search(query))
                except (requests.RequestException, RuntimeError):
                    result.errors += 1
            indexer.join()
            result.load_photos_per_s = rate[0]
    return result


@contextmanager
def _nothing() -> Iterator[None]:
    yield


@contextmanager
def before_worktree(revision: str) -> Iterator[Path]:
    """`revision` checked out (detached) into a temporary git worktree."""
    path = Path(tempfile.mkdtemp(prefix="bench-before-")) / "code"
    subprocess.run(["git", "worktree", "add", "--detach", str(path), revision], cwd=ROOT, check=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False)


def query_decode_ms(query: bytes) -> dict[str, float]:
    """The 2 MP query and a 12 MP one: decode at full size and as search decodes it."""
    from gallery.images import _draft

    big = Image.open(io.BytesIO(query)).resize((4032, 3024), Image.Resampling.BICUBIC)
    figures: dict[str, float] = {}
    for label, data in (("2mp", query), ("12mp", _jpeg(big))):
        for how in ("full", "reduced"):
            best = float("inf")
            for _ in range(5):
                began = time.perf_counter()
                image = Image.open(io.BytesIO(data))
                if how == "reduced":
                    _draft(image, 1536)
                image.load()
                best = min(best, time.perf_counter() - began)
            figures[f"{label}_{how}_ms"] = best * 1000
            figures[f"{label}_{how}_size"] = image.size  # type: ignore[assignment]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default_faces = os.environ.get("MEMORY_STUDIO_FACES_DIR", str(ROOT.parent / "shared" / "faces"))
    parser.add_argument("--faces-dir", type=Path, default=Path(default_faces))
    parser.add_argument(
        "--variants", nargs="+", default=["before", "shipped", "web1", "worker1"], choices=VARIANTS
    )
    parser.add_argument("--modes", nargs="+", default=["celery", "inline"], choices=("celery", "inline"))
    parser.add_argument("--batch", type=int, default=100, help="photos per indexing batch")
    parser.add_argument("--idle-searches", type=int, default=15)
    parser.add_argument("--postgres", help="a PostgreSQL URL (its server is used; databases bench_load_*)")
    parser.add_argument("--name", default="search_under_load", help="bench/results/<name>.json")
    parser.add_argument("--before", default=BEFORE_REVISION, help="git revision served as 'before'")
    args = parser.parse_args()

    import django

    django.setup()

    faces = sorted(p for p in args.faces_dir.glob("*/*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    query_path = args.faces_dir / "fr_obama" / sorted(os.listdir(args.faces_dir / "fr_obama"))[0]
    args.query = _jpeg(_two_megapixels(Image.open(query_path).convert("RGB")))
    batches = make_batches(faces, args.batch)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, before_worktree(args.before) as before:
        work = Path(tmp)
        args.before_code = before
        began = time.perf_counter()
        base = prepare_library(faces, work, args.postgres)
        print(f"library: {base.photos} photos indexed in {time.perf_counter() - began:.0f} s", flush=True)
        for mode in args.modes:
            for variant in args.variants:
                result = run(variant, mode, base, work, batches, args)
                summary = result.summary()
                results.append(summary)
                s = summary
                print(
                    f"{mode:>6} {variant:>8}: idle p50 {s['idle_p50_ms']:6.0f} ms p95 {s['idle_p95_ms']:6.0f}"
                    f" | under indexing p50 {s['load_p50_ms']:6.0f} ms p95 {s['load_p95_ms']:6.0f}"
                    f" ({s['load_over_idle_p50']:.2f}x, {s['load_searches']} searches)"
                    f" | indexing {s['indexing_alone_photos_per_s']:.2f} photos/s alone,"
                    f" {s['indexing_under_search_photos_per_s']:.2f} under searches"
                    + (f" | {result.errors} errors" if result.errors else ""),
                    flush=True,
                )
        if args.postgres:
            _pg_execute(args.postgres, "DROP DATABASE IF EXISTS bench_load_base")

    bars = {}
    for mode in args.modes:
        by = {r["variant"]: r for r in results if r["mode"] == mode}
        if "shipped" in by and "before" in by:
            new, old = by["shipped"], by["before"]
            bars[mode] = {
                "shipped_load_over_idle_p50": new["load_over_idle_p50"],
                "before_load_over_idle_p50": old["load_over_idle_p50"],
                "shipped_idle_p50_over_before": new["idle_p50_ms"] / old["idle_p50_ms"],
                "shipped_indexing_alone_over_before": new["indexing_alone_photos_per_s"]
                / old["indexing_alone_photos_per_s"],
                "shipped_indexing_under_search_over_before": new["indexing_under_search_photos_per_s"]
                / old["indexing_under_search_photos_per_s"],
            }
    path = write_result(
        args.name,
        {
            "server": "gunicorn -c gunicorn.conf.py (gthread, 2 workers x 4 threads), RECOGNITION_PRELOAD=1",
            "database": "postgresql" if args.postgres else "sqlite",
            "library_photos": base.photos,
            "batch_photos": args.batch,
            "query": "2 MP JPEG of a person in the library",
            "before_revision": args.before,
            "runs": results,
            "bars": bars,
            "query_decode": query_decode_ms(args.query),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
