"""Round trip: a library exported in Memory Studio's export layout, imported into a fresh account,
comes back with its photos, albums, titles, captions, dates, persons and their faces.

The zip is the real export (`exports.services.library_zip_write`, what "Export my library" and
`export_library` write); the same round trip also runs from a zip built here in the same layout
with Lightroom-style sidecars (`_export`): `originals/YYYY/MM/<name>`, an XMP sidecar beside each
(dc:title, dc:description, photoshop:DateCreated/xmp:CreateDate, MWG face regions named after
persons, written with python-xmp-toolkit) and `library.json` (schema 1).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, timedelta, timezone

import pytest

from gallery import services
from gallery.models import Album, AlbumPhoto, Photo
from gallery.tests.conftest import as_upload
from imports.services import library_import
from imports.tests.conftest import face_jpeg_bytes
from imports.tests.xmpdata import Tag, lightroom_packet
from people.models import Person
from people.services import faces_name, person_update
from recognition.models import Face

pytestmark = pytest.mark.django_db

SEOUL = timezone(timedelta(hours=9))


def _name(face: Face) -> str:
    assert face.person is not None
    return face.person.name


def _export(owner) -> io.BytesIO:
    buffer = io.BytesIO()
    records = []
    with zipfile.ZipFile(buffer, "w") as archive:
        for photo in Photo.objects.filter(owner=owner).order_by("pk"):
            taken = photo.taken_at.astimezone(SEOUL)
            path = f"originals/{taken:%Y}/{taken:%m}/{photo.original_filename}"
            with photo.original.open("rb") as handle:
                archive.writestr(path, handle.read())
            faces = list(Face.objects.filter(photo=photo, person__isnull=False).select_related("person"))
            packet = lightroom_packet(
                size=(photo.width, photo.height),
                tags=[Tag(_name(f), f.box) for f in faces if _name(f)],
                title=photo.title,
                caption=photo.caption,
                date=taken.isoformat(),
            )
            archive.writestr(f"{path}.xmp", packet)
            records.append(
                {
                    "id": photo.pk,
                    "path": path,
                    "sidecar": f"{path}.xmp",
                    "title": photo.title,
                    "caption": photo.caption,
                    "taken_at": taken.isoformat(),
                    "original_filename": photo.original_filename,
                    "content_hash": photo.content_hash,
                    "albums": list(photo.album_memberships.values_list("album_id", flat=True)),
                    "faces": [
                        {
                            "id": f.pk,
                            "box": {"x1": f.x1, "y1": f.y1, "x2": f.x2, "y2": f.y2},
                            "person_id": f.person_id,
                            "person_name": _name(f),
                            "source": f.person_source,
                        }
                        for f in faces
                    ],
                }
            )
        persons = [
            {
                "id": p.pk,
                "name": p.name,
                "hidden": p.hidden,
                "birth_date": p.birth_date.isoformat() if p.birth_date else None,
            }
            for p in Person.objects.live().filter(owner=owner)
        ]
        albums = [
            {
                "id": a.pk,
                "name": a.name,
                "sort_order": a.sort_order,
                "cover": a.cover_id,
                "photos": list(a.memberships.order_by("position", "id").values_list("photo_id", flat=True)),
            }
            for a in Album.objects.filter(owner=owner)
        ]
        library = {"schema_version": 1, "photos": records, "persons": persons, "albums": albums}
        archive.writestr("library.json", json.dumps(library, ensure_ascii=False))
    buffer.seek(0)
    return buffer


@pytest.fixture
def source_library(user, faces_dir, django_capture_on_commit_callbacks):
    photos = {}
    for key, title, caption, taken in (
        ("obama", "연설", "At the podium", datetime(2012, 11, 6, 22, 10, tzinfo=SEOUL)),
        ("adams", "Premiere", "", datetime(2014, 2, 1, 19, 0, tzinfo=SEOUL)),
        ("biden", "", "Rally", datetime(2020, 8, 20, 9, 30, tzinfo=SEOUL)),
    ):
        with django_capture_on_commit_callbacks(execute=True):  # indexing runs inline
            photo = services.photo_create(
                owner=user,
                upload=as_upload(face_jpeg_bytes(faces_dir, key), f"{key}.jpg"),
                title=title,
                caption=caption,
            )
        photo.taken_at = taken
        photo.save(update_fields=["taken_at"])
        photos[key] = photo
    with django_capture_on_commit_callbacks(execute=True):
        for key, name in (("obama", "Barack Obama"), ("adams", "에이미 애덤스"), ("biden", "Joe Biden")):
            faces_name(owner=user, faces=[Face.objects.get(photo=photos[key])], name=name)
    biden = Person.objects.get(owner=user, name="Joe Biden")
    person_update(person=biden, hidden=True, birth_date=date(1942, 11, 20))
    album = services.album_create(owner=user, name="여행")
    order = [photos["biden"], photos["obama"], photos["adams"]]
    services.album_add_photos(album=album, photos=order)
    services.album_set_order(album=album, photos=order)
    services.album_set_cover(album=album, photo=photos["adams"])
    return photos


def _iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _memory_studio_export(owner) -> io.BytesIO:
    from exports.services import library_zip_write

    buffer = io.BytesIO()
    library_zip_write(owner=owner, target=buffer)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize("exporter", [_memory_studio_export, _export], ids=["export-app", "lightroom-style"])
def test_export_then_import_into_a_fresh_account(user, other_user, source_library, exporter):
    summary = library_import(owner=other_user, root=exporter(user), name="export")
    assert (summary.imported, summary.duplicates, summary.failed) == (3, 0, [])
    assert summary.regions_matched == 3
    assert summary.regions_unmatched == 0

    old = {p.content_hash: p for p in Photo.objects.filter(owner=user)}
    new = {p.content_hash: p for p in Photo.objects.filter(owner=other_user)}
    assert set(new) == set(old)
    for digest, before in old.items():
        after = new[digest]
        assert (after.title, after.caption, after.original_filename) == (
            before.title,
            before.caption,
            before.original_filename,
        )
        assert after.taken_at == before.taken_at
        # The same persons' faces, in the same places.
        before_faces = {_name(f): f.box for f in before.faces.filter(person__isnull=False)}
        after_faces = {_name(f): f.box for f in after.faces.filter(person__isnull=False)}
        assert set(after_faces) == set(before_faces)
        for name, box in before_faces.items():
            assert _iou(box, after_faces[name]) > 0.9

    persons = {p.name: p for p in Person.objects.live().filter(owner=other_user)}
    assert set(persons) == {"Barack Obama", "에이미 애덤스", "Joe Biden"}
    assert persons["Joe Biden"].hidden
    assert persons["Joe Biden"].birth_date == date(1942, 11, 20)
    assert not persons["Barack Obama"].hidden

    album = Album.objects.get(owner=other_user)
    assert album.name == "여행"
    assert album.sort_order == Album.SortOrder.MANUAL
    ordered = AlbumPhoto.objects.filter(album=album).order_by("position")
    assert list(ordered.values_list("photo__original_filename", flat=True)) == [
        "biden.jpg",
        "obama.jpg",
        "adams.jpg",
    ]
    assert album.cover is not None
    assert album.cover.original_filename == "adams.jpg"

    # The source account is as it was.
    assert Photo.objects.filter(owner=user).count() == 3
    assert Album.objects.filter(owner=user).count() == 1
