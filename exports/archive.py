"""What an export zip holds, entry by entry, made as the zip is written.

- `originals/YYYY/MM/<original file name>`: every live photo's original, byte for byte, in the
  month it was taken (the owner's time zone); clashing names are numbered (`a (2).jpg`).
- `originals/YYYY/MM/<original file name>.xmp`: an XMP sidecar per photo with its title
  (dc:title), caption (dc:description), date (photoshop:DateCreated, xmp:CreateDate) and its
  faces as Metadata Working Group regions (mwg-rs:Regions) named after their persons. The sidecar
  keeps the whole file name (`IMG_1.jpg.xmp`), as digiKam and darktable look for it and as two
  photos `IMG_1.jpg` and `IMG_1.png` need two sidecars; Lightroom reads sidecars only for raw
  files (for a JPEG it reads the XMP embedded in the file), so its `IMG_1.xmp` convention would
  buy nothing and lose the pairing.
- `library.json`: the whole library as data (LIBRARY_SCHEMA_VERSION), last, once every photo's
  record is known: photos, their album memberships and faces (boxes in pixels of the upright
  original), persons and albums.

Photos are read in batches; only the small per-photo records of library.json are kept until the
end. Photos in the trash are not exported.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.files.storage import Storage
from django.db.models import Prefetch
from django.utils import timezone
from libxmp import XMPMeta, consts

from accounts.preferences import user_time_zone
from gallery.models import Album, AlbumPhoto, Photo
from gallery.storage import open_stream, photo_storage
from gallery.zips import PRECOMPRESSED_TYPES, UniqueNames, ZipEntry, bytes_entry, safe_file_name
from people.models import Person
from recognition.models import Face

if TYPE_CHECKING:
    from accounts.models import User

LIBRARY_SCHEMA_VERSION = 1
LIBRARY_FILE = "library.json"
ORIGINALS_FOLDER = "originals"
SIDECAR_SUFFIX = ".xmp"
_BATCH = 200

NS_MWG_REGIONS = "http://www.metadataworkinggroup.com/schemas/regions/"
NS_DIMENSIONS = "http://ns.adobe.com/xap/1.0/sType/Dimensions#"
NS_AREA = "http://ns.adobe.com/xmp/sType/Area#"
XMPMeta.register_namespace(NS_MWG_REGIONS, "mwg-rs")
XMPMeta.register_namespace(NS_DIMENSIONS, "stDim")
XMPMeta.register_namespace(NS_AREA, "stArea")


def _number(value: float) -> str:
    """A decimal for XMP: at most 6 places, no exponent, no trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def photo_xmp(*, photo: Photo, faces: list[Face], taken_at: datetime) -> bytes:
    """The XMP sidecar of one photo (UTF-8). Regions follow MWG 2.0: the area's x/y are the
    centre of the face, x/y/w/h normalised to the upright image's width and height."""
    xmp = XMPMeta()
    if photo.title:
        xmp.set_localized_text(consts.XMP_NS_DC, "title", None, "x-default", photo.title)
    if photo.caption:
        xmp.set_localized_text(consts.XMP_NS_DC, "description", None, "x-default", photo.caption)
    stamp = taken_at.isoformat(timespec="seconds")
    xmp.set_property(consts.XMP_NS_Photoshop, "DateCreated", stamp)
    xmp.set_property(consts.XMP_NS_XMP, "CreateDate", stamp)
    named = [(face, face.person.name) for face in faces if face.person is not None and face.person.name]
    if named and photo.width and photo.height:
        dimensions = "Regions/mwg-rs:AppliedToDimensions"
        xmp.set_property(NS_MWG_REGIONS, f"{dimensions}/stDim:w", str(photo.width))
        xmp.set_property(NS_MWG_REGIONS, f"{dimensions}/stDim:h", str(photo.height))
        xmp.set_property(NS_MWG_REGIONS, f"{dimensions}/stDim:unit", "pixel")
        for number, (face, person_name) in enumerate(named, start=1):
            xmp.append_array_item(
                NS_MWG_REGIONS,
                "Regions/mwg-rs:RegionList",
                None,
                {"prop_value_is_array": True},
                prop_value_is_struct=True,
            )
            region = f"Regions/mwg-rs:RegionList[{number}]"
            x1, y1 = max(face.x1, 0.0), max(face.y1, 0.0)
            x2, y2 = min(face.x2, float(photo.width)), min(face.y2, float(photo.height))
            area = {
                "x": (x1 + x2) / 2 / photo.width,
                "y": (y1 + y2) / 2 / photo.height,
                "w": (x2 - x1) / photo.width,
                "h": (y2 - y1) / photo.height,
            }
            xmp.set_property(NS_MWG_REGIONS, f"{region}/mwg-rs:Name", person_name)
            xmp.set_property(NS_MWG_REGIONS, f"{region}/mwg-rs:Type", "Face")
            for key, value in area.items():
                xmp.set_property(NS_MWG_REGIONS, f"{region}/mwg-rs:Area/stArea:{key}", _number(value))
            xmp.set_property(NS_MWG_REGIONS, f"{region}/mwg-rs:Area/stArea:unit", "normalized")
    text: str = xmp.serialize_to_str()
    return text.encode()


def _face_record(face: Face) -> dict[str, Any]:
    return {
        "id": face.pk,
        "box": {"x1": face.x1, "y1": face.y1, "x2": face.x2, "y2": face.y2},
        "person_id": face.person_id,
        "person_name": face.person.name if face.person is not None else None,
        "source": face.person_source,
    }


def library_photos(owner: User) -> list[int]:
    """The ids of the photos an export of `owner`'s library holds (live ones, oldest first)."""
    return list(
        Photo.objects.live().filter(owner=owner).order_by("taken_at", "id").values_list("id", flat=True)
    )


def _photo_batch(owner: User, ids: list[int]) -> list[Photo]:
    photos = (
        # live(): a photo moved to the trash (or deleted) since the export began is left out.
        Photo.objects.live()
        .filter(owner=owner, pk__in=ids)
        .prefetch_related(
            Prefetch(
                "faces", queryset=Face.objects.select_related("person").order_by("id"), to_attr="export_faces"
            ),
            Prefetch(
                "album_memberships",
                queryset=AlbumPhoto.objects.filter(album__owner=owner).order_by("album_id"),
                to_attr="export_memberships",
            ),
        )
        .order_by("taken_at", "id")
    )
    return list(photos)


def library_entries(
    *,
    owner: User,
    photo_ids: list[int],
    storage: Storage | None = None,
    on_progress: Callable[[int], object] | None = None,
    exported_at: datetime | None = None,
) -> Iterator[ZipEntry]:
    """The export's entries, made one photo at a time as the zip asks for them. `on_progress`
    is called with the number of photos written so far, after each photo."""
    storage = storage or photo_storage()
    zone = user_time_zone(owner)
    exported_at = exported_at or timezone.now()
    names = UniqueNames()
    names.claim(LIBRARY_FILE)
    records: list[dict[str, Any]] = []
    exported_ids: set[int] = set()
    done = 0
    for start in range(0, len(photo_ids), _BATCH):
        for photo in _photo_batch(owner, photo_ids[start : start + _BATCH]):
            taken = timezone.localtime(photo.taken_at, zone)
            name = safe_file_name(photo.download_name, fallback=f"photo-{photo.pk}")
            path = names.claim(f"{ORIGINALS_FOLDER}/{taken:%Y/%m}/{name}")
            sidecar = names.claim(f"{path}{SIDECAR_SUFFIX}")
            # The faces of the photo's last indexing (an older model's faces are not the photo's).
            faces = [f for f in getattr(photo, "export_faces", []) if f.model_key == photo.index_model]
            yield ZipEntry(
                name=path,
                size=photo.size,
                modified=taken,
                open=partial(open_stream, storage, photo.original.name or ""),
                compress=photo.mime_type not in PRECOMPRESSED_TYPES,
            )
            yield bytes_entry(
                name=sidecar, data=photo_xmp(photo=photo, faces=faces, taken_at=taken), modified=taken
            )
            exported_ids.add(photo.pk)
            records.append(
                {
                    "id": photo.pk,
                    "path": path,
                    "sidecar": sidecar,
                    "title": photo.title,
                    "caption": photo.caption,
                    "taken_at": taken.isoformat(),
                    "taken_at_from_exif": photo.taken_at_from_exif,
                    "uploaded_at": timezone.localtime(photo.uploaded_at, zone).isoformat(),
                    "original_filename": photo.original_filename,
                    "content_hash": photo.content_hash,
                    "mime_type": photo.mime_type,
                    "size": photo.size,
                    "width": photo.width,
                    "height": photo.height,
                    "albums": [m.album_id for m in getattr(photo, "export_memberships", [])],
                    "faces": [_face_record(face) for face in faces],
                }
            )
            done += 1
            if on_progress is not None:  # the zip asks for the next entry once this one is written
                on_progress(done)
    library = {
        "schema_version": LIBRARY_SCHEMA_VERSION,
        "exported_at": timezone.localtime(exported_at, zone).isoformat(),
        "owner": {"username": owner.username, "time_zone": str(zone)},
        "face_box_units": "pixels of the upright (EXIF-rotated) original",
        "photos": records,
        "persons": _persons(owner),
        "albums": _albums(owner, exported_ids, zone),
    }
    data = json.dumps(library, ensure_ascii=False, indent=1).encode()
    yield bytes_entry(name=LIBRARY_FILE, data=data, modified=timezone.localtime(exported_at, zone))


def _persons(owner: User) -> list[dict[str, Any]]:
    return [
        {
            "id": person.pk,
            "name": person.name,
            "hidden": person.hidden,
            "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        }
        for person in Person.objects.live().filter(owner=owner).order_by("id")
    ]


def _albums(owner: User, exported_ids: set[int], zone: Any) -> list[dict[str, Any]]:
    members: dict[int, list[int]] = {}
    # One query for every album's photos, each album's in its own (custom) order, whatever
    # order the album is shown in (`sort_order`).
    memberships = AlbumPhoto.objects.filter(album__owner=owner).order_by("album_id", "position", "id")
    for album_id, photo_id in memberships.values_list("album_id", "photo_id").iterator(chunk_size=2000):
        if photo_id in exported_ids:
            members.setdefault(album_id, []).append(photo_id)
    return [
        {
            "id": album.pk,
            "name": album.name,
            "sort_order": album.sort_order,
            "cover": album.cover_id if album.cover_id in exported_ids else None,
            "created_at": timezone.localtime(album.created_at, zone).isoformat(),
            "photos": members.get(album.pk, []),
        }
        for album in Album.objects.filter(owner=owner).order_by("id")
    ]
