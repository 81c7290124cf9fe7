"""Decompression bombs are refused from their header, before any pixel is decoded."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import make_image_bytes
from gallery import images
from gallery.images import InvalidImage
from gallery.models import Photo
from gallery.tests.bombs import tiny_png_bomb, zero_png

ROOT = Path(__file__).resolve().parents[2]
BOMBS = {"png-68-bytes-1x100000000": tiny_png_bomb, "png-zeros-9990x9990": zero_png}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(BOMBS))
def test_bombs_are_a_clear_400_and_leave_nothing(api_client, name):
    from gallery.tests.test_api import stored_names

    data = BOMBS[name]()
    before = stored_names()
    response = api_client.post("/api/photos/", {"image": SimpleUploadedFile("bomb.png", data)})
    assert response.status_code == 400
    message = response.json()["image"][0]
    assert "decompression bomb" in message
    assert "but the file is only" in message
    assert not Photo.objects.exists()
    assert stored_names() == before


@pytest.mark.django_db
def test_a_bomb_is_refused_as_a_search_query_too(api_client):
    response = api_client.post("/api/search/", {"image": SimpleUploadedFile("q.png", tiny_png_bomb())})
    assert response.status_code == 400
    assert "decompression bomb" in response.json()["image"][0]


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("width", "height", "size", "refused"),
    [
        (4000, 4000, 100, False),  # up to 16 MP anything is decoded (a phone photo's cost)
        (7680, 4320, 1_015_915, False),  # an 8K screenshot-like PNG (bench/bombs.py)
        (6000, 4000, 11_626_671, False),  # a 24 MP photo
        (10_000, 10_000, 1_000_000, False),  # 100 MP at 0.01 byte per pixel: the floor
        (10_000, 10_000, 999_999, True),
        (9990, 9990, 97_082, True),  # the PNG of zeros
        (1, 100_000_000, 68, True),  # the 68-byte PNG
        (10_001, 10_000, 500_000_000, True),  # over MAX_IMAGE_PIXELS, however large the file
    ],
)
def test_decoding_cost_rule(width, height, size, refused):
    if refused:
        with pytest.raises(InvalidImage):
            images.check_decoding_cost(width=width, height=height, size=size)
    else:
        images.check_decoding_cost(width=width, height=height, size=size)


MEASURE = textwrap.dedent(
    """
    import json, os, resource, sys
    os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
    os.environ["DJANGO_SETTINGS_MODULE"] = "memory_studio.settings_test"
    import django
    django.setup()
    from gallery import images
    from gallery.tests import bombs

    data = getattr(bombs, sys.argv[1])()
    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    baseline = peak_mb()
    try:
        images.process(data)
        outcome = "accepted"
    except images.InvalidImage as exc:
        outcome = exc.message
    print(json.dumps({"growth_mb": peak_mb() - baseline, "outcome": outcome}))
    """
)


@pytest.mark.nodb
@pytest.mark.parametrize("builder", ["tiny_png_bomb", "zero_png"])
def test_refusing_a_bomb_costs_little_memory(builder):
    """Peak resident memory of a fresh process grows by less than 200 MB while it refuses a bomb
    (decoding either would take 0.9 to 6 GB; bench/bombs.py has the figures)."""
    child = subprocess.run(
        [sys.executable, "-c", MEASURE, builder],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert "decompression bomb" in result["outcome"]
    assert result["growth_mb"] < 200, result


@pytest.mark.nodb
def test_decoding_from_many_threads_leaves_the_warning_filters_alone(settings):
    """Pillow's bomb warning used to be turned into an error under warnings.catch_warnings(),
    which is not thread-safe: concurrent decodes could leave the process's filters changed."""
    from PIL import Image

    before = list(warnings.filters)
    pillow_limit = Image.MAX_IMAGE_PIXELS
    small = make_image_bytes(size=(64, 48), fmt="PNG")
    over = make_image_bytes(size=(120, 120), fmt="PNG")  # over the limit set below
    settings.MAX_IMAGE_PIXELS = 10_000
    outcomes: list[str] = []

    def work() -> None:
        for _ in range(30):
            for data in (small, over):
                try:
                    images.decode(data)
                    outcomes.append("ok")
                except InvalidImage:
                    outcomes.append("refused")

    with warnings.catch_warnings():  # this test's own view of warnings, restored once at the end
        warnings.simplefilter("ignore")
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        inside = list(warnings.filters)
    assert outcomes.count("ok") == outcomes.count("refused") == 8 * 30
    assert inside[1:] == before  # only our "ignore" on top: decode() itself changed nothing
    # Pillow's own limit, which other code in the process relies on, is not lowered either.
    assert pillow_limit == Image.MAX_IMAGE_PIXELS
