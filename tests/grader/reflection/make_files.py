"""Rebuild the hostile images under files/: ``python tests/grader/reflection/make_files.py``."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageDraw

FILES = Path(__file__).parent / "files"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def header_only_png(width: int, height: int) -> bytes:
    """Return a 1-bit greyscale PNG whose IHDR declares the size but whose IDAT is tiny."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 50_000)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def _striped_image() -> Image.Image:
    image = Image.new("RGB", (640, 400), "white")
    draw = ImageDraw.Draw(image)
    for i in range(20):
        draw.rectangle((20 + i * 30, 40, 40 + i * 30, 360), fill=(i * 12, 80, 200 - i * 8))
    return image


def main() -> None:
    (FILES / "bomb-100000x100000.png").write_bytes(header_only_png(100_000, 100_000))
    (FILES / "large-6000x6000.png").write_bytes(header_only_png(6000, 6000))

    buffer = io.BytesIO()
    _striped_image().save(buffer, "PNG")
    corrupt = bytearray(buffer.getvalue())
    start = corrupt.index(b"IDAT") + 4
    corrupt[start : start + 200] = bytes(range(200))
    (FILES / "corrupt-idat.png").write_bytes(bytes(corrupt))

    buffer = io.BytesIO()
    _striped_image().save(buffer, "JPEG", quality=85)
    (FILES / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    (FILES / "not-an-image.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a PNG at all")
    (FILES / "script.svg").write_text(
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="800" '
        'height="500" onload="alert(1)">\n'
        '<script>fetch("/steal?c=" + document.cookie)</script>\n'
        '<rect width="800" height="500" fill="red"/>\n</svg>\n'
    )


if __name__ == "__main__":
    main()
