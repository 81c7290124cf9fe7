"""Importing folders and zips: real face photos tagged the way Lightroom, digiKam, Windows Live
Photo Gallery and Google Takeout tag them, matched against the faces our detector finds."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.core.management import call_command

from gallery.models import Album, AlbumPhoto, Photo
from imports.services import library_import
from imports.sources import SourceRejected
from imports.tests.conftest import face_jpeg_bytes, face_tag, size_of
from imports.tests.xmpdata import Tag, digikam_packet, embed, lightroom_packet, wlpg_packet
from people.models import Person
from recognition.models import Face

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(tmp_path, face_jpeg):
    """A folder as other photo managers leave it."""
    root = tmp_path / "Pictures"
    # Lightroom: MWG regions embedded in the JPEG; one of them where nobody's face can be detected.
    obama = face_jpeg("obama", root / "2019" / "b_obama.jpg")
    width, height = size_of(obama)
    nobody = Tag("Hidden Friend", (10, height - 110, 110, height - 10))
    embed(
        obama,
        lightroom_packet(
            size=(width, height),
            tags=[face_tag("obama", "Barack Obama"), nobody],
            title="연설",
            caption="At the podium",
            date="2012-11-06T22:10:00+09:00",
        ),
    )
    # digiKam: a `.jpg.xmp` sidecar with MWG and MP regions.
    adams = face_jpeg("adams", root / "2019" / "a_adams.jpg")
    (root / "2019" / "a_adams.jpg.xmp").write_text(
        digikam_packet(size=size_of(adams), tags=[face_tag("adams", "Amy Adams")], title="Premiere")
    )
    # Windows Live Photo Gallery: MP:RegionInfo in the JPEG.
    biden = face_jpeg("biden", root / "wlpg" / "biden.jpg")
    embed(biden, wlpg_packet(size=size_of(biden), tags=[face_tag("biden", "조 바이든")], caption="Rally"))
    # Google Takeout: a JSON beside the photo.
    face_jpeg("john", root / "Takeout" / "john.jpg")
    (root / "Takeout" / "john.jpg.json").write_text(
        json.dumps(
            {
                "title": "john.jpg",
                "description": "Winterfell",
                "photoTakenTime": {"timestamp": "1500000000"},
            }
        )
    )
    (root / "wlpg" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return root


def test_import_a_tagged_library(user, other_user, library):
    Person.objects.create(owner=other_user, name="Amy Adams")  # another user's namesake stays theirs
    summary = library_import(owner=user, root=library, album_per_folder=True)

    assert summary.imported == 4
    assert summary.duplicates == 0
    assert [path for path, _ in summary.failed] == ["wlpg/broken.jpg"]
    assert summary.failed[0][1]  # a reason
    assert sorted(summary.persons_created) == sorted(
        ["Barack Obama", "Hidden Friend", "Amy Adams", "조 바이든"]
    )
    assert summary.regions_matched == 3
    assert summary.regions_unmatched == 1

    photos = {p.original_filename: p for p in Photo.objects.filter(owner=user)}
    obama = photos["b_obama.jpg"]
    assert (obama.title, obama.caption) == ("연설", "At the podium")
    assert obama.taken_at == datetime(2012, 11, 6, 13, 10, tzinfo=UTC)
    assert photos["a_adams.jpg"].title == "Premiere"
    assert photos["biden.jpg"].caption == "Rally"
    john = photos["john.jpg"]
    assert (john.title, john.caption) == ("", "Winterfell")
    assert john.taken_at == datetime.fromtimestamp(1500000000, tz=UTC)

    # Named regions over detected faces: confirmed faces of persons with those names.
    for name, filename in (
        ("Barack Obama", "b_obama.jpg"),
        ("Amy Adams", "a_adams.jpg"),
        ("조 바이든", "biden.jpg"),
    ):
        person = Person.objects.get(owner=user, name=name)
        faces = list(person.faces.all())
        assert len(faces) == 1
        assert faces[0].photo == photos[filename]
        assert faces[0].person_source == Face.PersonSource.CONFIRMED
        assert faces[0].score > 0  # the detector's face
    # A region where no face was detected: a manual face with the tag's box and an embedding.
    hidden = Person.objects.get(owner=user, name="Hidden Friend")
    face = hidden.faces.get()
    assert face.photo == obama
    assert face.person_source == Face.PersonSource.MANUAL
    assert face.score == 0.0
    assert (face.x1, face.y2) == pytest.approx((10, obama.height - 10), abs=1)
    assert face.dim == len(face.vector()) > 0
    obama.refresh_from_db()
    assert obama.face_count == 2

    # One album per folder, in file-name order.
    album = Album.objects.get(owner=user, name="2019")
    members = AlbumPhoto.objects.filter(album=album).order_by("position")
    assert album.sort_order == Album.SortOrder.MANUAL
    assert list(members.values_list("photo__original_filename", flat=True)) == [
        "a_adams.jpg",
        "b_obama.jpg",
    ]
    assert sorted(summary.albums_created) == ["2019", "Takeout", "wlpg"]

    # Nothing of it reached the other user.
    assert not Photo.objects.filter(owner=other_user).exists()
    assert list(Person.objects.filter(owner=other_user).values_list("name", flat=True)) == ["Amy Adams"]
    assert not Face.objects.filter(owner=other_user).exists()

    # Indexing the photo again (a worker's queued job, a retry): the marked face stays, the
    # detected one is found again and keeps its person.
    from recognition.indexing import photos_index
    from recognition.runtime import get_pipeline

    photos_index(photo_ids=[obama.pk], pipeline=get_pipeline())
    obama.refresh_from_db()
    assert obama.face_count == 2
    assert hidden.faces.get().person_source == Face.PersonSource.MANUAL
    kept = Person.objects.get(owner=user, name="Barack Obama").faces.get()
    assert (kept.photo, kept.person_source) == (obama, Face.PersonSource.CONFIRMED)

    # Importing again: all duplicates, nothing new.
    again = library_import(owner=user, root=library)
    assert (again.imported, again.duplicates, len(again.failed)) == (0, 4, 1)
    assert Photo.objects.filter(owner=user).count() == 4
    assert again.persons_created == []


def test_dry_run_changes_nothing(user, library):
    summary = library_import(owner=user, root=library, album_per_folder=True, dry_run=True)
    assert summary.dry_run
    assert summary.imported == 4
    assert len(summary.failed) == 1
    assert "Barack Obama" in summary.persons_created
    assert not Photo.objects.exists()
    assert not Person.objects.exists()
    assert not Album.objects.exists()
    assert not Face.objects.exists()


def _zip(entries: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def test_zip_import_with_sidecar_and_offset_date(user, faces_dir, tmp_path, face_jpeg):
    path = face_jpeg("adams", tmp_path / "x.jpg")
    packet = lightroom_packet(size=size_of(path), title="Zipped", date="2020-01-02T03:04:05+02:00")
    archive = _zip({"trip/x.jpg": path.read_bytes(), "trip/x.xmp": packet.encode()})
    summary = library_import(owner=user, root=archive, name="upload")
    assert summary.imported == 1
    photo = Photo.objects.get(owner=user)
    assert photo.title == "Zipped"
    assert photo.taken_at == datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))


@pytest.mark.parametrize("name", ["../evil.jpg", "/etc/evil.jpg", "a/../../evil.jpg", "C:/evil.jpg"])
def test_zip_with_paths_outside_is_rejected(user, name):
    archive = _zip({"ok.jpg": b"x", name: b"y"})
    with pytest.raises(SourceRejected):
        library_import(owner=user, root=archive)
    assert not Photo.objects.exists()


def test_zip_bomb_is_rejected_unread(user, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 1_000_000
    settings.MAX_UPLOAD_BYTES = 800_000
    archive = _zip({"a.jpg": b"\0" * 700_000, "b.jpg": b"\0" * 700_000})
    assert len(archive.getvalue()) < 10_000
    with pytest.raises(SourceRejected, match="unpacks to more"):
        library_import(owner=user, root=archive)
    archive = _zip({"huge.jpg": b"\0" * 900_000})
    with pytest.raises(SourceRejected, match="larger than a photo"):
        library_import(owner=user, root=archive)
    settings.IMPORT_MAX_FILES = 2
    with pytest.raises(SourceRejected, match="more than 2 files"):
        library_import(owner=user, root=_zip({"a": b"1", "b": b"2", "c": b"3"}))
    assert not Photo.objects.exists()


def test_not_a_zip_is_rejected(user, tmp_path):
    bogus = tmp_path / "photos.zip"
    bogus.write_bytes(b"PK not really")
    with pytest.raises(SourceRejected):
        library_import(owner=user, root=bogus)


def test_without_face_recognition_consent_regions_are_skipped(user, tmp_path, face_jpeg):
    path = face_jpeg("obama", tmp_path / "lib" / "o.jpg")
    embed(path, lightroom_packet(size=size_of(path), tags=[face_tag("obama", "Barack Obama")]))
    user.face_recognition = False  # the consent switch (issue 11); honoured when the field exists
    summary = library_import(owner=user, root=tmp_path / "lib")
    assert summary.imported == 1
    assert summary.regions_skipped == 1
    assert summary.regions_matched == 0
    assert not Person.objects.exists()


def test_command_imports_for_the_named_user_only(user, other_user, library, capsys):
    call_command("import_library", str(library), "--user", user.username, "--album-per-folder")
    out = capsys.readouterr().out
    assert "4" in out
    assert "broken.jpg" in out
    assert Photo.objects.filter(owner=user).count() == 4
    assert not Photo.objects.filter(owner=other_user).exists()
    assert Album.objects.filter(owner=user).count() == 3


def test_command_dry_run(user, library, capsys):
    call_command("import_library", str(library), "--user", user.username, "--dry-run")
    assert "dry run" in capsys.readouterr().out.lower()
    assert not Photo.objects.exists()


@pytest.mark.parametrize("frame", ["upright", "stored"])
def test_regions_of_a_photo_turned_by_exif_orientation_match_its_face(user, faces_dir, tmp_path, frame):
    """The stored pixels lie on their side (EXIF orientation 6: shown turned clockwise). Tools
    write the regions against the upright photo; one written against the stored pixels says so
    with its AppliedToDimensions. Either way the tag lands on the face the detector finds."""
    from PIL import Image

    from imports.tests.conftest import FACES

    upright = Image.open(io.BytesIO(face_jpeg_bytes(faces_dir, "obama")))
    width, height = upright.size
    stored = upright.rotate(90, expand=True)  # counter-clockwise: orientation 6 turns it back
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "lib" / "turned.jpg"
    path.parent.mkdir()
    stored.save(path, format="JPEG", quality=90, exif=exif.tobytes())
    x1, y1, x2, y2 = FACES["obama"][1]
    if frame == "upright":
        packet = lightroom_packet(size=(width, height), tags=[Tag("Barack Obama", (x1, y1, x2, y2))])
    else:
        packet = lightroom_packet(
            size=(height, width), tags=[Tag("Barack Obama", (y1, width - x2, y2, width - x1))]
        )
    (tmp_path / "lib" / "turned.jpg.xmp").write_text(packet)
    summary = library_import(owner=user, root=tmp_path / "lib")
    assert summary.imported == 1
    assert (summary.regions_matched, summary.regions_unmatched) == (1, 0)
    face = Person.objects.get(owner=user, name="Barack Obama").faces.get()
    assert face.person_source == Face.PersonSource.CONFIRMED
    assert (face.photo.width, face.photo.height) == (width, height)
