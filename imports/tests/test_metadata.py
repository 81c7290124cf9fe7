"""The metadata reader against packets written by python-xmp-toolkit in real tools' shapes."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import Image

from imports.metadata import (
    ImageGeometry,
    read_photo_metadata,
    read_takeout_json,
    read_xmp,
    sidecar_candidates,
    takeout_candidates,
)
from imports.tests.conftest import size_of
from imports.tests.xmpdata import Tag, digikam_packet, embed, lightroom_packet, wlpg_packet

pytestmark = pytest.mark.nodb


def _jpeg(path, size=(200, 100), orientation=None):
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    Image.new("RGB", size, (90, 120, 30)).save(path, format="JPEG", exif=exif.tobytes())
    return path


def _approx(box, expected):
    assert box == pytest.approx(expected, abs=1e-4)


def test_lightroom_embedded_xmp_gives_title_caption_date_and_regions(tmp_path):
    path = _jpeg(tmp_path / "IMG_1.jpg")
    packet = lightroom_packet(
        size=(200, 100),
        tags=[Tag("김민지", (20, 10, 60, 50)), Tag("Bob Smith", (100, 20, 140, 80))],
        title="바닷가에서",
        caption="Sunset on the beach",
        date="2019-05-04T13:22:01+09:00",
    )
    embed(path, packet)
    metadata, warnings = read_photo_metadata(image=path.read_bytes(), filename="IMG_1.jpg")
    assert warnings == []
    assert metadata.title == "바닷가에서"
    assert metadata.caption == "Sunset on the beach"
    assert metadata.taken_at == datetime(2019, 5, 4, 13, 22, 1, tzinfo=timezone(timedelta(hours=9)))
    assert [r.name for r in metadata.regions] == ["김민지", "Bob Smith"]
    _approx(metadata.regions[0].box, (0.1, 0.1, 0.3, 0.5))
    _approx(metadata.regions[1].pixels(200, 100), (100, 20, 140, 80))


def test_digikam_sidecar_wins_over_embedded_xmp(tmp_path):
    path = _jpeg(tmp_path / "IMG_2.jpg")
    embed(path, lightroom_packet(size=(200, 100), tags=[Tag("Old", (0, 0, 10, 10))], title="embedded"))
    sidecar = digikam_packet(size=(200, 100), tags=[Tag("Carol", (50, 25, 90, 75))], title="from sidecar")
    metadata, _ = read_photo_metadata(image=path.read_bytes(), sidecar=sidecar.encode())
    assert metadata.title == "from sidecar"
    assert [r.name for r in metadata.regions] == ["Carol"]
    _approx(metadata.regions[0].box, (0.25, 0.25, 0.45, 0.75))


def test_microsoft_photo_regions_are_top_left_based(tmp_path):
    path = _jpeg(tmp_path / "IMG_3.jpg")
    embed(path, wlpg_packet(size=(200, 100), tags=[Tag("Dave", (40, 10, 100, 70))], caption="Live Gallery"))
    metadata, _ = read_photo_metadata(image=path.read_bytes())
    assert metadata.caption == "Live Gallery"
    assert [r.name for r in metadata.regions] == ["Dave"]
    _approx(metadata.regions[0].pixels(200, 100), (40, 10, 100, 70))


def test_regions_applied_to_stored_pixels_of_a_turned_photo_are_turned_upright(tmp_path):
    # Stored 200x100, EXIF orientation 6 (shown turned clockwise: upright 100x200). A tool that
    # wrote the region against the stored pixels says so with AppliedToDimensions 200x100.
    path = _jpeg(tmp_path / "turned.jpg", orientation=6)
    packet = lightroom_packet(size=(200, 100), tags=[Tag("Eve", (0, 0, 40, 20))], applied=(200, 100))
    metadata, _ = read_photo_metadata(image=path.read_bytes(), sidecar=packet.encode())
    # Stored top-left corner ends up top-right once turned clockwise.
    _approx(metadata.regions[0].box, (0.8, 0.0, 1.0, 0.2))
    # Written against the upright image (AppliedToDimensions 100x200): taken as it is.
    packet = lightroom_packet(size=(100, 200), tags=[Tag("Eve", (0, 0, 20, 40))], applied=(100, 200))
    metadata, _ = read_photo_metadata(image=path.read_bytes(), sidecar=packet.encode())
    _approx(metadata.regions[0].box, (0.0, 0.0, 0.2, 0.2))


def test_non_face_and_unnamed_regions_are_ignored():
    packet = lightroom_packet(size=(100, 100), tags=[Tag("", (0, 0, 10, 10)), Tag("Frank", (10, 10, 30, 30))])
    metadata = read_xmp(packet.encode(), ImageGeometry(100, 100))
    assert [r.name for r in metadata.regions] == ["Frank"]


def test_a_broken_sidecar_is_a_warning_and_the_embedded_xmp_still_counts(tmp_path):
    path = _jpeg(tmp_path / "IMG_4.jpg")
    embed(path, lightroom_packet(size=(200, 100), title="kept"))
    metadata, warnings = read_photo_metadata(image=path.read_bytes(), sidecar=b"<x:xmpmeta><broken")
    assert metadata.title == "kept"
    assert len(warnings) == 1
    assert warnings[0].startswith("sidecar")


def test_takeout_json():
    doc = {
        "title": "IMG_20190504.jpg",
        "description": "생일 파티",
        "photoTakenTime": {"timestamp": "1556943721", "formatted": "May 4, 2019"},
    }
    metadata = read_takeout_json(json.dumps(doc).encode(), filename="IMG_20190504.jpg")
    assert metadata.title == ""  # Takeout's title is the file name unless someone changed it
    assert metadata.caption == "생일 파티"
    assert metadata.taken_at == datetime(2019, 5, 4, 4, 22, 1, tzinfo=UTC)
    doc["title"] = "Grandma's birthday"
    assert (
        read_takeout_json(json.dumps(doc).encode(), filename="IMG_20190504.jpg").title == "Grandma's birthday"
    )


def test_companion_names():
    assert list(sidecar_candidates("IMG_1.JPG")) == ["IMG_1.JPG.xmp", "IMG_1.xmp"]
    names = list(takeout_candidates("IMG_1(1).jpg"))
    assert names[0] == "IMG_1(1).jpg.json"
    assert "IMG_1.jpg(1).json" in names
    long = "a" * 60 + ".jpg"
    assert any(len(n) == 51 and n.endswith(".json") for n in takeout_candidates(long))


def test_embedding_keeps_the_image_readable(tmp_path):
    path = _jpeg(tmp_path / "IMG_5.jpg")
    embed(path, lightroom_packet(size=(200, 100), title="x"))
    assert size_of(path) == (200, 100)
    Image.open(io.BytesIO(path.read_bytes())).load()
