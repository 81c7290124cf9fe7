"""Reading what other photo managers wrote about a photo: title, caption, date and named face
regions, from the photo's embedded XMP, an XMP sidecar and a Google Takeout JSON. Django-free.

Face regions come in two dialects:
- Metadata Working Group (`mwg-rs:Regions`, Lightroom, digiKam, Picasa, darktable): `stArea`
  x/y/w/h normalised, x/y the centre of the box, with `mwg-rs:AppliedToDimensions`.
- Microsoft Photo (`MP:RegionInfo`, Windows Live Photo Gallery): `MPReg:Rectangle` "x, y, w, h"
  normalised, x/y the top-left corner.
Both are read as boxes normalised to the *upright* image (EXIF orientation applied), which is how
these tools write them. One exception is recognised: an MWG region list whose
AppliedToDimensions are the stored (unrotated) size of a photo turned a quarter by its EXIF
orientation was written against the stored pixels, and is turned to match.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from libxmp import XMPError, XMPMeta, consts
from PIL import Image, UnidentifiedImageError

NS_MWG_RS = "http://www.metadataworkinggroup.com/schemas/regions/"
NS_ST_AREA = "http://ns.adobe.com/xmp/sType/Area#"
NS_ST_DIM = "http://ns.adobe.com/xap/1.0/sType/Dimensions#"
NS_MP = "http://ns.microsoft.com/photo/1.2/"
NS_MPRI = "http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
NS_MPREG = "http://ns.microsoft.com/photo/1.2/t/Region#"
NS_PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
NS_IPTC_CORE = "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"

_NAMESPACES = {
    NS_MWG_RS: "mwg-rs",
    NS_ST_AREA: "stArea",
    NS_ST_DIM: "stDim",
    NS_MP: "MP",
    NS_MPRI: "MPRI",
    NS_MPREG: "MPReg",
}

# EXIF orientations that turn the stored image a quarter (width and height swap).
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_EXIF_ORIENTATION = 0x0112

NormBox = tuple[float, float, float, float]


def register_namespaces() -> None:
    """Teach Exempi the region namespaces' usual prefixes (idempotent)."""
    for uri, prefix in _NAMESPACES.items():
        XMPMeta.register_namespace(uri, prefix)


@dataclass(frozen=True)
class Region:
    """A named face region; `box` is (x1, y1, x2, y2) normalised to the upright image (0..1)."""

    name: str
    box: NormBox

    def pixels(self, width: int, height: int) -> tuple[float, float, float, float]:
        x1, y1, x2, y2 = self.box
        return (x1 * width, y1 * height, x2 * width, y2 * height)


@dataclass(frozen=True)
class PhotoMetadata:
    title: str = ""
    caption: str = ""
    # Aware when the source says its offset; naive (local time of the camera) otherwise.
    taken_at: datetime | None = None
    regions: tuple[Region, ...] = field(default_factory=tuple)

    def or_else(self, other: PhotoMetadata) -> PhotoMetadata:
        """These values, each missing one taken from `other` (regions as a whole)."""
        return PhotoMetadata(
            title=self.title or other.title,
            caption=self.caption or other.caption,
            taken_at=self.taken_at or other.taken_at,
            regions=self.regions or other.regions,
        )


@dataclass(frozen=True)
class ImageGeometry:
    """The stored size of the image and its EXIF orientation (1 when absent)."""

    width: int
    height: int
    orientation: int = 1

    @property
    def upright_size(self) -> tuple[int, int]:
        if self.orientation in _QUARTER_TURNS:
            return (self.height, self.width)
        return (self.width, self.height)


class MetadataError(ValueError):
    """Metadata that cannot be read (a broken XMP packet or JSON); the message says why."""


# --- images ----------------------------------------------------------------------------------------


def image_geometry_and_xmp(data: bytes) -> tuple[ImageGeometry, bytes | None]:
    """The stored size and orientation of an image and its embedded XMP packet (JPEG APP1, PNG
    iTXt, WebP and TIFF as Pillow exposes them), reading the header only."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
            packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
            geometry = ImageGeometry(
                width=image.width,
                height=image.height,
                orientation=orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else 1,
            )
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise MetadataError(f"Not an image: {exc}") from None
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    return geometry, packet if isinstance(packet, bytes) and packet.strip() else None


# --- XMP ---------------------------------------------------------------------------------------------


def _parse(packet: bytes) -> XMPMeta:
    register_namespaces()
    xmp = XMPMeta()
    text = packet.decode("utf-8", errors="replace").strip("\x00 \r\n\t")
    try:
        xmp.parse_from_str(text, xmpmeta_wrap=False)
    except XMPError as exc:
        raise MetadataError(f"The XMP metadata cannot be read: {exc}") from None
    return xmp


def _get(xmp: XMPMeta, ns: str, path: str) -> str:
    try:
        if not xmp.does_property_exist(ns, path):
            return ""
        value = xmp.get_property(ns, path)
    except XMPError:
        return ""
    return str(value or "").strip()


def _alt_text(xmp: XMPMeta, ns: str, name: str) -> str:
    try:
        if not xmp.does_property_exist(ns, name):
            return ""
        return str(xmp.get_localized_text(ns, name, None, "x-default") or "").strip()
    except XMPError:
        return _get(xmp, ns, name)  # a plain string where a language alternative belongs


def _float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def parse_xmp_date(value: str) -> datetime | None:
    """An XMP date ("2019-05-04T13:22:01+09:00", "2019-05-04T13:22", "2019-05-04", "2019")."""
    value = value.strip()
    if not value:
        return None
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    for candidate in (value, value.replace(" ", "T", 1)):
        try:
            return datetime.fromisoformat(candidate)
        except ValueError:
            continue
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", value)
    if match:
        try:
            return datetime(int(match.group(1)), int(match.group(2) or 1), 1)
        except ValueError:
            return None
    return None


def _clamp_box(box: NormBox) -> NormBox | None:
    x1, y1, x2, y2 = (min(max(v, 0.0), 1.0) for v in box)
    if x2 - x1 <= 0 or y2 - y1 <= 0:
        return None
    return (x1, y1, x2, y2)


def _to_upright(box: NormBox, orientation: int) -> NormBox:
    """A box normalised to the stored image, normalised to the upright image instead."""

    def point(x: float, y: float) -> tuple[float, float]:
        match orientation:
            case 2:
                return (1 - x, y)
            case 3:
                return (1 - x, 1 - y)
            case 4:
                return (x, 1 - y)
            case 5:
                return (y, x)
            case 6:
                return (1 - y, x)
            case 7:
                return (1 - y, 1 - x)
            case 8:
                return (y, 1 - x)
        return (x, y)

    ax, ay = point(box[0], box[1])
    bx, by = point(box[2], box[3])
    return (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))


def _mwg_regions(xmp: XMPMeta, geometry: ImageGeometry | None) -> list[Region]:
    base = "mwg-rs:Regions/mwg-rs:RegionList"
    try:
        count = xmp.count_array_items(NS_MWG_RS, base) if xmp.does_property_exist(NS_MWG_RS, base) else 0
    except XMPError:
        return []
    stored_frame = False
    if geometry is not None and geometry.orientation in _QUARTER_TURNS and geometry.width != geometry.height:
        applied_w = _float(_get(xmp, NS_MWG_RS, "mwg-rs:Regions/mwg-rs:AppliedToDimensions/stDim:w"))
        applied_h = _float(_get(xmp, NS_MWG_RS, "mwg-rs:Regions/mwg-rs:AppliedToDimensions/stDim:h"))
        if applied_w and applied_h:
            # Same aspect as the stored pixels, not the upright ones: written against the stored image.
            stored_frame = abs(applied_w / applied_h - geometry.width / geometry.height) < 0.01
    regions = []
    for i in range(1, count + 1):
        item = f"{base}[{i}]"
        kind = _get(xmp, NS_MWG_RS, f"{item}/mwg-rs:Type")
        name = " ".join(_get(xmp, NS_MWG_RS, f"{item}/mwg-rs:Name").split())
        if (kind and kind != "Face") or not name:
            continue
        unit = _get(xmp, NS_MWG_RS, f"{item}/mwg-rs:Area/stArea:unit") or "normalized"
        values = [
            _float(_get(xmp, NS_MWG_RS, f"{item}/mwg-rs:Area/stArea:{k}")) for k in ("x", "y", "w", "h")
        ]
        if unit != "normalized" or any(v is None for v in values):
            continue
        x, y, w, h = (float(v) for v in values if v is not None)
        box: NormBox = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        if stored_frame and geometry is not None:
            box = _to_upright(box, geometry.orientation)
        clamped = _clamp_box(box)
        if clamped is not None:
            regions.append(Region(name=name, box=clamped))
    return regions


def _mp_regions(xmp: XMPMeta) -> list[Region]:
    base = "MP:RegionInfo/MPRI:Regions"
    try:
        count = xmp.count_array_items(NS_MP, base) if xmp.does_property_exist(NS_MP, base) else 0
    except XMPError:
        return []
    regions = []
    for i in range(1, count + 1):
        item = f"{base}[{i}]"
        name = " ".join(_get(xmp, NS_MP, f"{item}/MPReg:PersonDisplayName").split())
        parts = [_float(p) for p in _get(xmp, NS_MP, f"{item}/MPReg:Rectangle").split(",")]
        if not name or len(parts) != 4 or any(p is None for p in parts):
            continue
        x, y, w, h = (float(p) for p in parts if p is not None)
        clamped = _clamp_box((x, y, x + w, y + h))
        if clamped is not None:
            regions.append(Region(name=name, box=clamped))
    return regions


def read_xmp(packet: bytes, geometry: ImageGeometry | None = None) -> PhotoMetadata:
    """Title, caption, date and named face regions of an XMP packet (MWG regions first; the
    Microsoft Photo ones when there are none). MetadataError when it is not XMP."""
    xmp = _parse(packet)
    title = _alt_text(xmp, consts.XMP_NS_DC, "title") or _get(xmp, NS_PHOTOSHOP, "photoshop:Headline")
    caption = _alt_text(xmp, consts.XMP_NS_DC, "description")
    taken_at = None
    for ns, path in (
        (consts.XMP_NS_EXIF, "exif:DateTimeOriginal"),
        (NS_PHOTOSHOP, "photoshop:DateCreated"),
        (consts.XMP_NS_XMP, "xmp:CreateDate"),
    ):
        taken_at = parse_xmp_date(_get(xmp, ns, path))
        if taken_at is not None:
            break
    regions = _mwg_regions(xmp, geometry) or _mp_regions(xmp)
    return PhotoMetadata(title=title, caption=caption, taken_at=taken_at, regions=tuple(regions))


# --- Google Takeout ------------------------------------------------------------------------------------


def read_takeout_json(data: bytes, *, filename: str = "") -> PhotoMetadata:
    """Title, description and taken-at of a Google Takeout `*.json` (the title only when it is
    not just the file name, which is what Takeout writes for untitled photos)."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MetadataError(f"The Takeout JSON cannot be read: {exc}") from None
    if not isinstance(doc, dict):
        raise MetadataError("The Takeout JSON is not an object.")
    title = str(doc.get("title") or "").strip()
    if title == filename or re.fullmatch(r".+\.(jpe?g|png|gif|webp|heic|heif|tiff?|bmp)", title, re.I):
        title = ""
    taken_at = None
    taken = doc.get("photoTakenTime")
    if isinstance(taken, dict):
        try:
            taken_at = datetime.fromtimestamp(int(str(taken.get("timestamp"))), tz=UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            taken_at = None
    return PhotoMetadata(title=title, caption=str(doc.get("description") or "").strip(), taken_at=taken_at)


# Takeout cuts a JSON's name (with ".json") to this many characters.
_TAKEOUT_NAME_MAX = 51


def sidecar_candidates(filename: str) -> Iterator[str]:
    """The names an XMP sidecar of `filename` may have: `IMG.jpg.xmp` (digiKam, darktable) then
    `IMG.xmp` (Lightroom)."""
    yield f"{filename}.xmp"
    stem, dot, _ = filename.rpartition(".")
    if dot:
        yield f"{stem}.xmp"


def takeout_candidates(filename: str) -> Iterator[str]:
    """The names Google Takeout gives the JSON of `filename`: `IMG.jpg.json`, the newer
    `IMG.jpg.supplemental-metadata.json` (both cut to Takeout's length limit), and for a
    `IMG(1).jpg` clash `IMG.jpg(1).json`."""
    for suffix in (".json", ".supplemental-metadata.json"):
        name = f"{filename}{suffix}"
        yield name
        if len(name) > _TAKEOUT_NAME_MAX:
            yield name[: _TAKEOUT_NAME_MAX - len(".json")] + ".json"
    match = re.fullmatch(r"(.*)\((\d+)\)(\.[^.]+)", filename)
    if match:
        yield f"{match.group(1)}{match.group(3)}({match.group(2)}).json"


def read_photo_metadata(
    *, image: bytes, sidecar: bytes | None = None, takeout: bytes | None = None, filename: str = ""
) -> tuple[PhotoMetadata, list[str]]:
    """Everything known about a photo: the sidecar wins over the embedded XMP (tools write there
    when they leave originals alone), which wins over Takeout's JSON. Returns the metadata and
    warnings about parts that could not be read (the photo still imports)."""
    warnings: list[str] = []
    geometry, embedded = image_geometry_and_xmp(image)
    result = PhotoMetadata()
    for source, packet in (("sidecar", sidecar), ("embedded XMP", embedded)):
        if packet is None:
            continue
        try:
            result = result.or_else(read_xmp(packet, geometry))
        except MetadataError as exc:
            warnings.append(f"{source}: {exc}")
    if takeout is not None:
        try:
            result = result.or_else(read_takeout_json(takeout, filename=filename))
        except MetadataError as exc:
            warnings.append(f"Takeout JSON: {exc}")
    return result, warnings
