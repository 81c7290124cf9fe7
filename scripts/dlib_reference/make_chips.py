#!/usr/bin/env python3
"""Write the aligned chips for the dlib parity test (recognition/tests/test_dlib_parity.py).

    python scripts/dlib_reference/make_chips.py [--faces DIR] [--out DIR]

For each photo in PHOTOS (several people of ../shared/faces, some of them the grayscale
`bbt_*` crops) the project's own pipeline finds the faces (FaceDetector, CPU) and aligns the
largest one to the dlib embedder's template (`FacePipeline.align`, 150x150 RGB). Each chip
is written as a lossless PNG, `chips/NN_<person>_<file stem>.png`, and manifest.json lists
them in order with the photo each came from (and its sha256), the face box and the
landmarks. The C++ program in this folder (build_and_run.sh) computes dlib's descriptors
of exactly these pixels; the test compares the PyTorch port with them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "recognition" / "tests" / "fixtures" / "dlib_reference"

# (person folder, file): 20 photos of 19 people, 5 of them grayscale.
PHOTOS: tuple[tuple[str, str], ...] = (
    ("angelina_jolie", "img10.jpg"),
    ("angelina_jolie", "img1.jpg"),
    ("bbt_amy", "amy1.png"),
    ("bbt_howard", "howard1.png"),
    ("bbt_penny", "penny1.png"),
    ("bbt_raj", "raj1.png"),
    ("bbt_sheldon", "sheldon1.png"),
    ("deepface_g02", "img12.jpg"),
    ("deepface_g03", "img47.jpg"),
    ("deepface_g04", "img13.jpg"),
    ("deepface_g10", "img26.jpg"),
    ("fr_obama", "examples_obama.jpg"),
    ("fr_biden", "examples_biden.jpg"),
    ("fr_kit_harington", "john1.jpeg"),
    ("fr_lin_manuel_miranda", "lin-manuel-miranda.png"),
    ("fr_alex_lacamoire", "alex_lacamoire_img1.jpg"),
    ("fr_rose_leslie", "img1.jpg"),
    ("of_lennon", "lennon-1.jpg"),
    ("of_clapton", "clapton-1.jpg"),
    ("fp_paul_rudd", "1.jpg"),
)


def main() -> int:
    default_faces = os.environ.get("MEMORY_STUDIO_FACES_DIR", str(ROOT.parent / "shared" / "faces"))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--faces", type=Path, default=Path(default_faces))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from PIL import Image

    from recognition.ml.detection import FaceDetector
    from recognition.ml.embedders import DlibResNetEmbedder
    from recognition.ml.images import load_rgb
    from recognition.ml.pipeline import FacePipeline

    # The embedder is only asked for its template; its weights are never loaded here.
    pipeline = FacePipeline(FaceDetector(device="cpu"), DlibResNetEmbedder(device="cpu"))
    chips_dir = args.out / "chips"
    chips_dir.mkdir(parents=True, exist_ok=True)
    for old in chips_dir.glob("*.png"):
        old.unlink()
    manifest = []
    for index, (person, name) in enumerate(PHOTOS):
        data = (args.faces / person / name).read_bytes()
        image = load_rgb(data)
        faces = pipeline.detect([image])[0]
        if not faces:
            raise SystemExit(f"No face found in {person}/{name}.")
        face = faces[0]  # the largest
        chip = pipeline.align(image, [face])[0]
        chip_name = f"{index:02d}_{person}_{Path(name).stem}.png"
        Image.fromarray(chip, "RGB").save(chips_dir / chip_name, optimize=True)
        manifest.append(
            {
                "chip": f"chips/{chip_name}",
                "source": f"{person}/{name}",
                "source_sha256": hashlib.sha256(data).hexdigest(),
                "box": [round(v, 2) for v in face.box],
                "landmarks": [[round(x, 2), round(y, 2)] for x, y in face.landmarks],
            }
        )
        print(f"{chip_name}  <- {person}/{name}")  # noqa: T201
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
