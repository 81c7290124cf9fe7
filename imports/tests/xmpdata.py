"""Test data: XMP packets in the shapes real tools write, built with python-xmp-toolkit (Exempi),
and embedded into JPEG files with Exempi's own file handler."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from libxmp import XMPFiles, XMPMeta, consts

from imports.metadata import NS_MP, NS_MWG_RS, NS_PHOTOSHOP, register_namespaces


@dataclass(frozen=True)
class Tag:
    """A named face: (x1, y1, x2, y2) in upright pixels of a `width` x `height` image."""

    name: str
    box: tuple[float, float, float, float]


def _struct_array(xmp: XMPMeta, ns: str, path: str) -> None:
    xmp.append_array_item(ns, path, None, {"prop_value_is_array": True}, prop_value_is_struct=True)


def _text(xmp: XMPMeta, *, title: str, caption: str, date: str) -> None:
    if title:
        xmp.set_localized_text(consts.XMP_NS_DC, "title", "x-default", "x-default", title)
    if caption:
        xmp.set_localized_text(consts.XMP_NS_DC, "description", "x-default", "x-default", caption)
    if date:
        xmp.set_property(NS_PHOTOSHOP, "photoshop:DateCreated", date)
        xmp.set_property(consts.XMP_NS_XMP, "xmp:CreateDate", date)


def _mwg(xmp: XMPMeta, tags: Sequence[Tag], size: tuple[int, int], applied: tuple[int, int] | None) -> None:
    width, height = size
    aw, ah = applied or size
    xmp.set_property(NS_MWG_RS, "mwg-rs:Regions/mwg-rs:AppliedToDimensions/stDim:w", str(aw))
    xmp.set_property(NS_MWG_RS, "mwg-rs:Regions/mwg-rs:AppliedToDimensions/stDim:h", str(ah))
    xmp.set_property(NS_MWG_RS, "mwg-rs:Regions/mwg-rs:AppliedToDimensions/stDim:unit", "pixel")
    for i, tag in enumerate(tags, start=1):
        _struct_array(xmp, NS_MWG_RS, "mwg-rs:Regions/mwg-rs:RegionList")
        item = f"mwg-rs:Regions/mwg-rs:RegionList[{i}]"
        x1, y1, x2, y2 = tag.box
        area = {
            "x": (x1 + x2) / 2 / width,
            "y": (y1 + y2) / 2 / height,
            "w": (x2 - x1) / width,
            "h": (y2 - y1) / height,
        }
        xmp.set_property(NS_MWG_RS, f"{item}/mwg-rs:Name", tag.name)
        xmp.set_property(NS_MWG_RS, f"{item}/mwg-rs:Type", "Face")
        for key, value in area.items():
            xmp.set_property(NS_MWG_RS, f"{item}/mwg-rs:Area/stArea:{key}", f"{value:.6f}")
        xmp.set_property(NS_MWG_RS, f"{item}/mwg-rs:Area/stArea:unit", "normalized")


def _mp(xmp: XMPMeta, tags: Sequence[Tag], size: tuple[int, int]) -> None:
    width, height = size
    for i, tag in enumerate(tags, start=1):
        _struct_array(xmp, NS_MP, "MP:RegionInfo/MPRI:Regions")
        item = f"MP:RegionInfo/MPRI:Regions[{i}]"
        x1, y1, x2, y2 = tag.box
        rect = f"{x1 / width:.6f}, {y1 / height:.6f}, {(x2 - x1) / width:.6f}, {(y2 - y1) / height:.6f}"
        xmp.set_property(NS_MP, f"{item}/MPReg:Rectangle", rect)
        xmp.set_property(NS_MP, f"{item}/MPReg:PersonDisplayName", tag.name)


def lightroom_packet(
    *,
    size: tuple[int, int],
    tags: Sequence[Tag] = (),
    title: str = "",
    caption: str = "",
    date: str = "",
    applied: tuple[int, int] | None = None,
) -> str:
    """What Lightroom Classic writes: dc:title/description, dates and MWG face regions."""
    register_namespaces()
    xmp = XMPMeta()
    _text(xmp, title=title, caption=caption, date=date)
    if tags:
        _mwg(xmp, tags, size, applied)
    return str(xmp.serialize_to_str())


def digikam_packet(*, size: tuple[int, int], tags: Sequence[Tag], title: str = "", caption: str = "") -> str:
    """What digiKam writes to a `.jpg.xmp` sidecar: MWG regions and the same names as
    Microsoft Photo regions."""
    register_namespaces()
    xmp = XMPMeta()
    _text(xmp, title=title, caption=caption, date="")
    _mwg(xmp, tags, size, None)
    _mp(xmp, tags, size)
    return str(xmp.serialize_to_str())


def wlpg_packet(*, size: tuple[int, int], tags: Sequence[Tag], caption: str = "") -> str:
    """What Windows Live Photo Gallery writes: Microsoft Photo regions only."""
    register_namespaces()
    xmp = XMPMeta()
    _text(xmp, title="", caption=caption, date="")
    _mp(xmp, tags, size)
    return str(xmp.serialize_to_str())


def embed(path: Path, packet: str) -> None:
    """Write the packet into the image file's own XMP (JPEG APP1), as the tool would."""
    xmp = XMPMeta()
    xmp.parse_from_str(packet, xmpmeta_wrap=False)
    files = XMPFiles(file_path=str(path), open_forupdate=True)
    try:
        if not files.can_put_xmp(xmp):
            raise AssertionError(f"Exempi cannot write XMP into {path}")
        files.put_xmp(xmp)
    finally:
        files.close_file()
