"""What a decompression bomb costs the upload path: time and peak memory until it is refused.

    python bench/bombs.py [--output bench/results/bombs.json]

Each case runs `gallery.images.process` (what an upload and a search query go through) in a
fresh Python process, which reports the wall time and the growth of its peak resident memory.
The bombs: a 68-byte PNG claiming 1 x 100,000,000 RGBA pixels, and a valid 9990 x 9990 PNG of
zeros (97 KB). For comparison, images that must be accepted: a real face photo, an 8K
screenshot-like PNG (text on a plain background) and a 24-megapixel noisy JPEG.
Writes JSON (commit, CPU, load average, figures) to --output.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _screenshot_png() -> bytes:
    import random

    from PIL import Image, ImageDraw

    width, height = 7680, 4320
    image = Image.new("RGB", (width, height), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 60), fill=(40, 44, 52))
    draw.rectangle((0, 60, 300, height), fill=(235, 236, 240))
    rng = random.Random(1)
    for y in range(80, height - 20, 18):
        x = 320
        while x < width - 200 and rng.random() < 0.97:
            word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
            draw.text((x, y), word, fill=(30, 30, 40))
            x += len(word) * 7 + 8
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _noisy_jpeg() -> bytes:
    from PIL import Image

    noise = Image.effect_noise((6000, 4000), 30).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _face_photo() -> bytes:
    faces = Path(os.environ.get("MEMORY_STUDIO_FACES_DIR", ROOT.parent / "shared" / "faces"))
    return sorted((faces / "angelina_jolie").glob("*.jpg"))[0].read_bytes()


def _cases() -> dict[str, Callable[[], bytes]]:
    from gallery.tests.bombs import tiny_png_bomb, zero_png

    return {
        "png-68-bytes-1x100000000": tiny_png_bomb,
        "png-zeros-9990x9990": zero_png,
        "jpeg-face-photo": _face_photo,
        "png-screenshot-7680x4320": _screenshot_png,
        "jpeg-noise-6000x4000": _noisy_jpeg,
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def run_case(name: str) -> dict[str, object]:
    """In this (fresh) process: build the input, then time and measure processing it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memory_studio.settings_test")
    import django

    django.setup()
    from PIL import Image

    from gallery import images

    data = _cases()[name]()
    with Image.open(io.BytesIO(data)) as header:
        claimed = header.size
    baseline = _peak_mb()
    start = time.perf_counter()
    try:
        processed = images.process(data)
        outcome = f"accepted {processed.width}x{processed.height}"
    except images.InvalidImage as exc:
        outcome = f"refused: {exc.message}"
    seconds = time.perf_counter() - start
    return {
        "case": name,
        "bytes": len(data),
        "claimed_pixels": claimed[0] * claimed[1],
        "bytes_per_pixel": round(len(data) / (claimed[0] * claimed[1]), 6),
        "seconds": round(seconds, 4),
        "peak_rss_growth_mb": round(max(0.0, _peak_mb() - baseline), 1),
        "outcome": outcome,
    }


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "bombs.json"))
    parser.add_argument("--case", help=argparse.SUPPRESS)  # one case, in a child process
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed per case")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case)))
        return

    env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only")}
    results = []
    load_before = os.getloadavg()
    for name in _cases():
        try:
            child = subprocess.run(
                [sys.executable, __file__, "--case", name],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=args.timeout,
                check=True,
            )
            result = json.loads(child.stdout.strip().splitlines()[-1])
        except subprocess.TimeoutExpired:
            result = {"case": name, "outcome": f"still running after {args.timeout:.0f} s; killed"}
        except subprocess.CalledProcessError as exc:
            result = {"case": name, "outcome": f"crashed: {exc.stderr.strip().splitlines()[-1:]}"}
        print(json.dumps(result))
        results.append(result)
    report = {
        "bench": "bombs",
        "commit": _commit(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "results": results,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
