#!/usr/bin/env python3
"""Pack the parity chips into raw RGB bytes for descriptors.cpp.

    python scripts/dlib_reference/pack_chips.py FIXTURE_DIR OUT.u8

Reads FIXTURE_DIR/manifest.json and writes its chips, in order, as N*150*150*3 bytes
(row-major, R G B), so the C++ program needs no image codec. Prints N.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def main() -> int:
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__ or "")
        return 2
    fixture, out = Path(sys.argv[1]), Path(sys.argv[2])
    manifest = json.loads((fixture / "manifest.json").read_text())
    chips = []
    for entry in manifest:
        with Image.open(fixture / entry["chip"]) as image:
            if image.mode != "RGB" or image.size != (150, 150):
                raise SystemExit(
                    f"{entry['chip']}: expected a 150x150 RGB PNG, got {image.mode} {image.size}."
                )
            chips.append(np.asarray(image, dtype=np.uint8))
    out.write_bytes(np.ascontiguousarray(np.stack(chips)).tobytes())
    print(len(chips))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
