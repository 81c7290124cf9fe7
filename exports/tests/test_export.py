"""The export job and what its zip holds: originals, XMP sidecars, library.json."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import IO, Any, cast

import pytest
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from libxmp import XMPMeta, consts

from exports import services
from exports.archive import NS_AREA, NS_MWG_REGIONS
from exports.models import Export
from exports.tests.conftest import add_faces, export_zip, name_face, set_taken_at, stored_names
from gallery import services as gallery_services
from gallery.models import PendingDeletion, Photo
from gallery.storage import photo_storage
from gallery.tests.conftest import exif_jpeg, storages_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(user: Any, photo_factory: Any, local_storage: Any) -> dict[str, Any]:
    """Alice's library (in Seoul): a beach photo with two named faces, a second photo whose
    file name clashes, a photo in the trash, an album with a custom order."""
    user.time_zone = "Asia/Seoul"
    user.save(update_fields=["time_zone"])
    beach = photo_factory(
        data=exif_jpeg(size=(400, 300)), name="IMG_0001.JPG", title="바다", caption="Busan, with friends"
    )
    # 20:00 UTC on 31 May is 05:00 on 1 June in Seoul: the June folder.
    set_taken_at(beach, datetime(2024, 5, 31, 20, 0, tzinfo=UTC))
    minji, bob = add_faces(beach, [(40.0, 30.0, 120.0, 130.0), (200.0, 60.0, 260.0, 150.0)])
    add_faces_extra = name_face(minji, "김민지"), name_face(bob, "Bob")
    clash = photo_factory(name="img_0001.jpg")
    set_taken_at(clash, datetime(2024, 6, 10, 3, 0, tzinfo=UTC))
    trashed = photo_factory(name="trashed.jpg", title="Trashed")
    gallery_services.photos_trash(owner=user, photos=[trashed])
    album = gallery_services.album_create(owner=user, name="부산 여행")
    gallery_services.album_add_photos(album=album, photos=[beach, clash, trashed])
    gallery_services.album_set_order(album=album, photos=[clash, beach])
    return {
        "beach": beach,
        "clash": clash,
        "trashed": trashed,
        "album": album,
        "persons": add_faces_extra,
        "faces": (minji, bob),
    }


def test_the_zip_holds_every_live_original_byte_for_byte_under_its_month(library, user, run_export):
    export = run_export(user)

    assert export.status == Export.Status.DONE, export.error
    archive = export_zip(export)
    names = set(archive.namelist())
    assert names == {
        "library.json",
        "originals/2024/06/IMG_0001.JPG",
        "originals/2024/06/IMG_0001.JPG.xmp",
        "originals/2024/06/img_0001 (2).jpg",
        "originals/2024/06/img_0001 (2).jpg.xmp",
    }
    for photo, path in (
        (library["beach"], "originals/2024/06/IMG_0001.JPG"),
        (library["clash"], "originals/2024/06/img_0001 (2).jpg"),
    ):
        with photo_storage().open(photo.original.name, "rb") as stored:
            assert archive.read(path) == stored.read()
    assert archive.testzip() is None
    assert export.size == photo_storage().size(export.file_name)
    assert (export.photos_done, export.photos_total) == (2, 2)
    assert export.expires_at == export.finished_at + timedelta(days=7)


def test_library_json_describes_photos_faces_persons_and_albums(library, user, run_export):
    export = run_export(user)
    data = json.loads(export_zip(export).read("library.json"))

    assert data["schema_version"] == 1
    assert data["exported_at"].endswith("+09:00")
    beach, clash = library["beach"], library["clash"]
    minji_person, bob_person = library["persons"]
    photos = {p["id"]: p for p in data["photos"]}
    assert set(photos) == {beach.pk, clash.pk}  # the trashed photo is left out
    record = photos[beach.pk]
    assert record["path"] == "originals/2024/06/IMG_0001.JPG"
    assert record["sidecar"] == "originals/2024/06/IMG_0001.JPG.xmp"
    assert (record["title"], record["caption"]) == ("바다", "Busan, with friends")
    assert record["taken_at"] == "2024-06-01T05:00:00+09:00"
    assert record["original_filename"] == "IMG_0001.JPG"
    assert record["content_hash"] == beach.content_hash
    assert (record["width"], record["height"]) == (400, 300)
    assert record["albums"] == [library["album"].pk]
    assert record["faces"] == [
        {
            "id": library["faces"][0].pk,
            "box": {"x1": 40.0, "y1": 30.0, "x2": 120.0, "y2": 130.0},
            "person_id": minji_person.pk,
            "person_name": "김민지",
            "source": "manual",
        },
        {
            "id": library["faces"][1].pk,
            "box": {"x1": 200.0, "y1": 60.0, "x2": 260.0, "y2": 150.0},
            "person_id": bob_person.pk,
            "person_name": "Bob",
            "source": "manual",
        },
    ]
    assert photos[clash.pk]["faces"] == []
    persons = {p["id"]: p for p in data["persons"]}
    assert persons[minji_person.pk] == {
        "id": minji_person.pk,
        "name": "김민지",
        "hidden": False,
        "birth_date": None,
    }
    assert [a["name"] for a in data["albums"]] == ["부산 여행"]
    # The album's own order, without the photo in the trash.
    assert data["albums"][0]["photos"] == [clash.pk, beach.pk]


def test_each_sidecar_names_the_faces_as_mwg_regions(library, user, run_export):
    export = run_export(user)
    archive = export_zip(export)

    xmp = XMPMeta(xmp_str=archive.read("originals/2024/06/IMG_0001.JPG.xmp").decode())
    assert xmp.get_localized_text(consts.XMP_NS_DC, "title", None, "x-default") == "바다"
    assert xmp.get_localized_text(consts.XMP_NS_DC, "description", None, "x-default") == "Busan, with friends"
    assert xmp.get_property(consts.XMP_NS_Photoshop, "DateCreated") == "2024-06-01T05:00:00+09:00"
    dimensions = "Regions/mwg-rs:AppliedToDimensions"
    assert xmp.get_property(NS_MWG_REGIONS, f"{dimensions}/stDim:w") == "400"
    assert xmp.get_property(NS_MWG_REGIONS, f"{dimensions}/stDim:h") == "300"
    assert xmp.get_property(NS_MWG_REGIONS, f"{dimensions}/stDim:unit") == "pixel"
    assert xmp.count_array_items(NS_MWG_REGIONS, "Regions/mwg-rs:RegionList") == 2
    regions = []
    for number in (1, 2):
        region = f"Regions/mwg-rs:RegionList[{number}]"
        area = {
            key: float(xmp.get_property(NS_MWG_REGIONS, f"{region}/mwg-rs:Area/stArea:{key}"))
            for key in "xywh"
        }
        assert xmp.get_property(NS_MWG_REGIONS, f"{region}/mwg-rs:Type") == "Face"
        assert xmp.get_property(NS_MWG_REGIONS, f"{region}/mwg-rs:Area/stArea:unit") == "normalized"
        regions.append((xmp.get_property(NS_MWG_REGIONS, f"{region}/mwg-rs:Name"), area))
    # Centre-based and normalised: (40..120, 30..130) of 400x300.
    assert regions[0][0] == "김민지"
    assert regions[0][1] == pytest.approx({"x": 0.2, "y": 0.26666667, "w": 0.2, "h": 0.33333333}, abs=1e-6)
    assert regions[1][0] == "Bob"
    assert regions[1][1] == pytest.approx({"x": 0.575, "y": 0.35, "w": 0.15, "h": 0.3}, abs=1e-6)
    assert NS_AREA in archive.read("originals/2024/06/IMG_0001.JPG.xmp").decode()
    # A photo without named faces has no regions at all (no empty region list).
    plain = XMPMeta(xmp_str=archive.read("originals/2024/06/img_0001 (2).jpg.xmp").decode())
    assert not plain.does_property_exist(NS_MWG_REGIONS, "Regions")
    assert not plain.does_property_exist(consts.XMP_NS_DC, "title")


def test_unnamed_faces_are_in_library_json_but_not_in_the_sidecar(
    user, photo_factory, local_storage, run_export
):
    photo = photo_factory(data=exif_jpeg(size=(100, 100)))
    add_faces(photo, [(10.0, 10.0, 40.0, 40.0)])
    archive = export_zip(run_export(user))
    record = json.loads(archive.read("library.json"))["photos"][0]
    assert record["faces"][0]["person_id"] is None
    xmp = XMPMeta(xmp_str=archive.read(record["sidecar"]).decode())
    assert not xmp.does_property_exist(NS_MWG_REGIONS, "Regions")


def test_progress_is_saved_as_photos_are_written(user, photo_factory, local_storage, run_export, monkeypatch):
    from gallery.storage import open_stream as real_open

    photos = [photo_factory() for _ in range(4)]
    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    seen: list[tuple[str, int, int]] = []

    def spying_open(storage: Any, name: str) -> Any:
        export = Export.objects.get()
        seen.append((export.status, export.photos_done, export.photos_total))
        return real_open(storage, name)

    monkeypatch.setattr("exports.archive.open_stream", spying_open)
    export = run_export(user)

    assert len(photos) == 4
    # When each original is opened, the photos before it were saved every 2 photos.
    assert seen == [("running", 0, 4), ("running", 0, 4), ("running", 2, 4), ("running", 2, 4)]
    assert (export.status, export.photos_done) == ("done", 4)


def test_an_empty_library_exports_just_library_json(user, local_storage, run_export):
    export = run_export(user)
    archive = export_zip(export)
    assert archive.namelist() == ["library.json"]
    assert json.loads(archive.read("library.json"))["photos"] == []


def test_one_export_at_a_time(user, local_storage, run_export):
    running = Export.objects.create(owner=user, status=Export.Status.RUNNING)
    with pytest.raises(services.ExportInProgress) as refused:
        services.export_create(owner=user)
    assert refused.value.export == running
    assert Export.objects.count() == 1


def test_a_missing_original_fails_the_export_with_its_name_and_leaves_no_file(
    user, photo_factory, local_storage, run_export
):
    first, second, third = (photo_factory(name=f"p{n}.jpg") for n in range(3))
    for n, photo in enumerate((first, second, third)):
        set_taken_at(photo, datetime(2024, 1, 1 + n, tzinfo=UTC))
    local_storage.delete(second.original.name)  # lost after the first photo was written

    export = run_export(user)

    assert export.status == Export.Status.FAILED
    assert "p1.jpg" in export.error
    assert export.file_name == ""
    assert export.finished_at is not None
    assert stored_names(local_storage, "exports") == set()
    assert not PendingDeletion.objects.exists()


class _DiskFillsUp:
    """A file whose bytes run out of disk space after `limit` bytes."""

    def __init__(self, content: Any, limit: int) -> None:
        self._content = content
        self._left = limit

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            raise OSError(28, "No space left on device")
        data: bytes = self._content.read(min(size, self._left) if size > 0 else self._left)
        self._left -= len(data)
        return data


class DiskFullStorage(FileSystemStorage):
    """Local disk that fills up in the middle of writing an export (other files are fine)."""

    def _save(self, name: str, content: Any) -> str:
        if name.startswith("exports/"):
            content = File(cast(IO[bytes], _DiskFillsUp(content, 1000)), name=name)
        return str(super()._save(name, content))  # type: ignore[misc]


def test_a_storage_failure_while_writing_fails_the_export_and_leaves_no_file(
    user, photo_factory, local_storage, run_export, settings
):
    for _ in range(3):
        photo_factory()
    options = settings.STORAGES["default"]["OPTIONS"]
    settings.STORAGES = storages_for(f"{__name__}.{DiskFullStorage.__name__}", options, settings)

    export = run_export(user)

    assert export.status == Export.Status.FAILED
    assert "No space left on device" in export.error
    assert stored_names(photo_storage(), "exports") == set()
    assert photo_storage().listdir("exports")[0]  # the partial zip had been written, then removed


def test_purge_deletes_expired_exports_and_their_zips(
    user, photo_factory, local_storage, run_export, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    photo_factory()
    expired = run_export(user)
    fresh = run_export(user)
    Export.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    lost = Export.objects.create(
        owner=user, status=Export.Status.RUNNING, created_at=timezone.now() - timedelta(days=2)
    )

    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_exports", stdout=io.StringIO())

    assert set(Export.objects.values_list("pk", flat=True)) == {fresh.pk, lost.pk}
    assert stored_names(local_storage, "exports") == {fresh.file_name}
    lost.refresh_from_db()
    assert lost.status == Export.Status.FAILED
    assert not PendingDeletion.objects.exists()


def test_deleting_the_user_deletes_their_export_zips(
    user, other_user, photo_factory, local_storage, run_export, django_capture_on_commit_callbacks
):
    from accounts.services import user_delete

    photo_factory()
    photo_factory(other_user)
    run_export(user)
    kept = run_export(other_user)
    with django_capture_on_commit_callbacks(execute=True):
        user_delete(user=user)
    assert stored_names(local_storage, "exports") == {kept.file_name}
    assert list(Export.objects.all()) == [kept]


def test_export_library_command_writes_the_same_zip_locally(library, user, tmp_path):
    import zipfile

    from django.core.management import CommandError, call_command

    output = tmp_path / "alice.zip"
    call_command("export_library", "--user", user.username, str(output), verbosity=0, stdout=io.StringIO())
    archive = zipfile.ZipFile(output)
    assert "originals/2024/06/IMG_0001.JPG.xmp" in archive.namelist()
    with photo_storage().open(library["beach"].original.name, "rb") as stored:
        assert archive.read("originals/2024/06/IMG_0001.JPG") == stored.read()
    with pytest.raises(CommandError):
        call_command("export_library", "--user", user.username, str(output), verbosity=0)
    with pytest.raises(CommandError):
        call_command("export_library", "--user", "nobody", str(tmp_path / "x.zip"), verbosity=0)


def test_export_library_command_leaves_no_half_zip_when_an_original_is_missing(
    user, photo_factory, local_storage, tmp_path
):
    from django.core.management import CommandError, call_command

    photo = photo_factory()
    photo_factory()
    local_storage.delete(Photo.objects.get(pk=photo.pk).original.name)
    output = tmp_path / "out.zip"
    with pytest.raises(CommandError):
        call_command("export_library", "--user", user.username, str(output), verbosity=0)
    assert list(tmp_path.glob("out.zip*")) == []


def test_the_number_of_queries_does_not_grow_with_the_library(user, photo_factory, local_storage):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    album = gallery_services.album_create(owner=user, name="앨범")

    def queries_for_export() -> int:
        export = Export.objects.create(owner=user)
        with CaptureQueriesContext(connection) as captured:
            services.export_build(export_id=export.pk)
        assert Export.objects.get(pk=export.pk).status == Export.Status.DONE
        return len(captured)

    def add_photos(count: int) -> None:
        for _ in range(count):
            photo = photo_factory()
            face = add_faces(photo, [(1.0, 1.0, 20.0, 20.0)])[0]
            name_face(face, f"사람 {photo.pk}")
            gallery_services.album_add_photos(album=album, photos=[photo])

    add_photos(2)
    few = queries_for_export()
    add_photos(6)
    assert queries_for_export() == few


def test_celery_beat_purges_exports(settings):
    from memory_studio.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["purge-exports"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 3600.0
