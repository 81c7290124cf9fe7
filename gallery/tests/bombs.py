"""Decompression bombs built byte by byte, never as a decoded image in memory."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width: int, height: int, *, color_type: int = 6, bit_depth: int = 8) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)


def tiny_png_bomb(width: int = 1, height: int = 100_000_000) -> bytes:
    """68 bytes claiming width x height RGBA pixels: a header and a few bytes of image data."""
    return png_header(width, height) + _chunk(b"IDAT", zlib.compress(b"\x00" * 5, 9)) + _chunk(b"IEND", b"")


def zero_png(width: int = 9990, height: int = 9990) -> bytes:
    """A complete, valid greyscale PNG of zeros (about 100 KB at 9990 x 9990), compressed row by row."""
    compressor = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte + one byte per pixel
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return png_header(width, height, color_type=0) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
