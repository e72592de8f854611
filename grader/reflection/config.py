"""Options of the screenshot-reflection check."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


def _option(default: Any, help_text: str) -> Any:
    return field(default=default, metadata={"help": help_text})


@dataclass(frozen=True)
class ReflectionConfig:
    """Limits and rubric points of the reflection check.

    Every field carries its help text in ``metadata["help"]`` so a CLI can build its options
    from this class (see ``option_help``).
    """

    min_words: int = _option(100, "minimum number of words in a text reflection, prompt excluded")
    min_width: int = _option(400, "minimum screenshot width in pixels")
    min_height: int = _option(250, "minimum screenshot height in pixels")
    max_pixels: int = _option(
        40_000_000,
        "maximum width x height of an image; larger images are flagged as decompression "
        "bombs without being decoded (Pillow's own MAX_IMAGE_PIXELS also applies)",
    )
    max_image_bytes: int = _option(
        20_000_000, "maximum encoded size of one image in bytes; larger ones are not decoded"
    )
    blank_threshold: float = _option(
        4.0,
        "an image whose grey-level standard deviation (0-255 scale) is below this value "
        "is flagged as blank",
    )
    duplicate_hash_distance: int = _option(
        6,
        "two screenshots are perceptual duplicates when both their pHash and their dHash "
        "differ in at most this many of 64 bits",
    )
    text_similarity_threshold: float = _option(
        0.5,
        "two texts are near duplicates when the Jaccard similarity of their word shingles "
        "is at least this value (0-1)",
    )
    shingle_words: int = _option(3, "number of consecutive words in one text shingle")
    min_words_for_similarity: int = _option(
        20, "texts shorter than this many words are left out of near-duplicate clustering"
    )
    points_screenshot_present: float = _option(
        1.0, "points when the screenshot cell holds an image that decodes"
    )
    points_screenshot_size: float = _option(
        1.0, "points when that image meets min_width x min_height"
    )
    points_screenshot_not_blank: float = _option(1.0, "points when that image is not blank")
    points_text_length: float = _option(1.0, "points when the text has at least min_words")

    def __post_init__(self) -> None:
        for name in ("min_words", "min_width", "min_height", "shingle_words"):
            _require(name, getattr(self, name), 1 if name == "shingle_words" else 0)
        for name in ("max_pixels", "max_image_bytes"):
            _require(name, getattr(self, name), 1)
        _require("duplicate_hash_distance", self.duplicate_hash_distance, 0, 64)
        _require("blank_threshold", self.blank_threshold, 0.0)
        _require("text_similarity_threshold", self.text_similarity_threshold, 0.0, 1.0)
        _require("min_words_for_similarity", self.min_words_for_similarity, 0)
        for item in fields(self):
            if item.name.startswith("points_"):
                _require(item.name, getattr(self, item.name), 0.0)


def _require(name: str, value: float, low: float, high: float | None = None) -> None:
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"ReflectionConfig.{name} must be {allowed}, got {value!r}")


def option_help() -> dict[str, str]:
    """Return the help text of every ReflectionConfig option, keyed by field name."""
    return {item.name: item.metadata["help"] for item in fields(ReflectionConfig)}
