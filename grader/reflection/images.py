"""Guarded inspection of untrusted screenshot bytes with Pillow.

The dimensions come from the image header (``Image.open`` only reads the header) and are
checked against both ``ReflectionConfig.max_pixels`` and Pillow's ``MAX_IMAGE_PIXELS``
before any pixel is decoded, so a decompression bomb is flagged without allocating it.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import imagehash
from PIL import Image, ImageStat

from grader.reflection.config import ReflectionConfig
from grader.reflection.model import Flag, FlagCode, ImageInfo

#: Formats Pillow may open; every other plugin (EPS through Ghostscript, PSD, ...) stays off.
ALLOWED_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
FORMAT_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
THUMBNAIL_SIDE = 160
_HASH_SIDE = 512
_SVG_START = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!doctype\s+svg[^>]*>\s*)?<svg\b", re.I | re.S
)
_SVG_ACTIVE = re.compile(rb"<script\b|\bon[a-z]+\s*=|javascript:|<foreignobject\b", re.I)


@dataclass
class ImageOutcome:
    """The decoded image, if any, and everything found on the way."""

    info: ImageInfo | None = None
    flags: list[Flag] = field(default_factory=list)


_FlagFn = Callable[[FlagCode, str], ImageOutcome]


def pixel_limit(config: ReflectionConfig) -> int:
    """Return the largest width x height that may be decoded."""
    pillow_limit = Image.MAX_IMAGE_PIXELS
    if pillow_limit is None:
        return config.max_pixels
    return min(config.max_pixels, int(pillow_limit))


def inspect_image(
    data: bytes,
    *,
    source: str,
    cell: int,
    config: ReflectionConfig,
    declared_mime: str | None = None,
) -> ImageOutcome:
    """Check one image and return its ImageInfo, or the flags that explain why there is none.

    Never raises for bad image bytes: every failure becomes a flag.
    """
    outcome = ImageOutcome()

    def flag(code: FlagCode, message: str) -> ImageOutcome:
        outcome.flags.append(Flag(code, f"{source}: {message}", cell, source))
        return outcome

    if len(data) > config.max_image_bytes:
        return flag(
            FlagCode.IMAGE_TOO_LARGE,
            f"{len(data)} bytes exceeds the limit of {config.max_image_bytes} bytes",
        )
    if _SVG_START.match(data[:4096]):
        return _flag_svg(data, flag)

    try:
        _decode(data, source=source, cell=cell, config=config, outcome=outcome, flag=flag)
    except Exception as error:  # noqa: BLE001
        # Pillow's decoders raise a wide, version-dependent set of exception types for
        # malformed input (OSError, SyntaxError, struct.error, IndexError, ...). A student's
        # file must never stop the grading run, so every failure here becomes a flag.
        detail = str(error)[:200]
        return flag(
            FlagCode.CORRUPT_IMAGE, f"the image failed to decode ({type(error).__name__}: {detail})"
        )

    if outcome.info is not None and declared_mime:
        actual = FORMAT_MIME[outcome.info.format]
        if declared_mime.lower() != actual:
            flag(FlagCode.MIME_MISMATCH, f"declared as {declared_mime} but the bytes are {actual}")
    return outcome


def _flag_svg(data: bytes, flag: _FlagFn) -> ImageOutcome:
    if _SVG_ACTIVE.search(data):
        flag(FlagCode.SVG_SCRIPT, "SVG with a script, event handler or foreignObject")
    return flag(FlagCode.SVG_IMAGE, "an SVG drawing, not a raster screenshot; it is not rendered")


def _decode(
    data: bytes,
    *,
    source: str,
    cell: int,
    config: ReflectionConfig,
    outcome: ImageOutcome,
    flag: _FlagFn,
) -> None:
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that value: treat it as an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            flag(FlagCode.DECOMPRESSION_BOMB, f"rejected by Pillow before decoding ({error})")
            return
        except Image.UnidentifiedImageError:
            flag(
                FlagCode.UNSUPPORTED_FORMAT,
                f"not a readable {'/'.join(ALLOWED_FORMATS)} image",
            )
            return

        with image:
            width, height = image.size
            limit = pixel_limit(config)
            if width <= 0 or height <= 0:
                flag(FlagCode.CORRUPT_IMAGE, f"the header declares a size of {width}x{height}")
                return
            if width * height > limit:
                flag(
                    FlagCode.DECOMPRESSION_BOMB,
                    f"the header declares {width}x{height} = {width * height} pixels, "
                    f"more than the limit of {limit}; not decoded",
                )
                return
            image.load()
            outcome.info = _describe(image, data, source=source, cell=cell)


def _describe(image: Image.Image, data: bytes, *, source: str, cell: int) -> ImageInfo:
    image_format = str(image.format)
    width, height = image.size

    grey = image.convert("L")
    grey_stddev = float(ImageStat.Stat(grey).stddev[0])
    grey.thumbnail((_HASH_SIDE, _HASH_SIDE))

    # Shrinking in place first keeps the RGB copy small.
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    thumbnail = image.convert("RGB")
    buffer = io.BytesIO()
    thumbnail.save(buffer, format="PNG", optimize=True)

    return ImageInfo(
        source=source,
        cell=cell,
        format=image_format,
        width=width,
        height=height,
        grey_stddev=grey_stddev,
        sha256=hashlib.sha256(data).hexdigest(),
        phash=str(imagehash.phash(grey)),
        dhash=str(imagehash.dhash(grey)),
        thumbnail_png=buffer.getvalue(),
    )
