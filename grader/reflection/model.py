"""Result types of the screenshot-reflection check."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class FlagCode(str, Enum):
    """Reason a reflection needs a human look; the value is the stable code stored in reports."""

    NOTEBOOK_UNREADABLE = "notebook_unreadable"
    NO_REFLECTION_CELLS = "no_reflection_cells"
    NO_SCREENSHOT = "no_screenshot"
    SCREENSHOT_OUTSIDE_CELL = "screenshot_outside_cell"
    DANGLING_ATTACHMENT = "dangling_attachment"
    INVALID_ATTACHMENT = "invalid_attachment"
    INVALID_BASE64 = "invalid_base64"
    MISSING_FILE = "missing_file"
    PATH_OUTSIDE_SUBMISSION = "path_outside_submission"
    REMOTE_IMAGE = "remote_image"
    IMAGE_TOO_LARGE = "image_too_large"
    UNSUPPORTED_FORMAT = "unsupported_format"
    SVG_IMAGE = "svg_image"
    SVG_SCRIPT = "svg_script"
    CORRUPT_IMAGE = "corrupt_image"
    DECOMPRESSION_BOMB = "decompression_bomb"
    MIME_MISMATCH = "mime_mismatch"
    IMAGE_TOO_SMALL = "image_too_small"
    IMAGE_BLANK = "image_blank"
    TEXT_TOO_SHORT = "text_too_short"


class RubricLine(str, Enum):
    """Automatically scored rubric lines; each gets its points from ReflectionConfig."""

    SCREENSHOT_PRESENT = "screenshot_present"
    SCREENSHOT_SIZE = "screenshot_size"
    SCREENSHOT_NOT_BLANK = "screenshot_not_blank"
    TEXT_LENGTH = "text_length"


@dataclass(frozen=True)
class Flag:
    """One finding for the manual grader; ``cell`` is the notebook cell index or None."""

    code: FlagCode
    message: str
    cell: int | None = None
    source: str = ""


@dataclass(frozen=True)
class ImageInfo:
    """A screenshot that decoded, with the hashes used to find duplicates.

    ``phash`` and ``dhash`` are 64-bit imagehash values as 16-digit hex strings, and
    ``thumbnail_png`` is a PNG of at most 160 pixels per side for the instructor report.
    """

    source: str
    cell: int
    format: str
    width: int
    height: int
    grey_stddev: float
    sha256: str
    phash: str
    dhash: str
    thumbnail_png: bytes = field(repr=False)


@dataclass(frozen=True)
class RubricScore:
    """Points given for one rubric line of one reflection cell."""

    line: RubricLine
    cell_name: str
    points: float
    max_points: float
    comment: str


@dataclass
class CellResult:
    """Check outcome of one reflection cell.

    ``name`` is the cell's ``sagelab.name``, else its nbgrader ``grade_id``, else
    ``cell-<index>``. ``grade_id`` lets the grader core attach ``comment`` to the gradebook.
    """

    index: int
    kind: str
    name: str
    grade_id: str | None
    rubric: list[RubricScore] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    images: list[ImageInfo] = field(default_factory=list)
    words: tuple[str, ...] = ()

    @property
    def comment(self) -> str:
        """Text for the manual grader: one line per rubric line, then one per flag."""
        lines = [
            f"{score.line.value}: {score.points:g}/{score.max_points:g} ({score.comment})"
            for score in self.rubric
        ]
        lines.extend(f"flag {flag.code.value}: {flag.message}" for flag in self.flags)
        return "\n".join(lines)


@dataclass
class ReflectionResult:
    """Reflection check outcome of one submitted notebook."""

    student: str
    lab: str
    notebook: Path
    cells: list[CellResult] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    @property
    def rubric(self) -> list[RubricScore]:
        return [score for cell in self.cells for score in cell.rubric]

    @property
    def points(self) -> float:
        return sum(score.points for score in self.rubric)

    @property
    def max_points(self) -> float:
        return sum(score.max_points for score in self.rubric)

    @property
    def all_flags(self) -> list[Flag]:
        """Notebook-level flags followed by the flags of every cell."""
        return [*self.flags, *(flag for cell in self.cells for flag in cell.flags)]

    @property
    def images(self) -> list[ImageInfo]:
        return [image for cell in self.cells for image in cell.images]

    @property
    def comment(self) -> str:
        """Text for the manual grader covering the whole notebook."""
        parts = [f"flag {flag.code.value}: {flag.message}" for flag in self.flags]
        parts.extend(f"[{cell.name}]\n{cell.comment}" for cell in self.cells)
        return "\n".join(parts)


@dataclass(frozen=True)
class ClusterMember:
    """One student's item in a duplicate cluster.

    ``score`` is the Hamming distance to the closest other member for similar images, and
    the highest Jaccard similarity to another member for texts; 0 for exact copies.
    """

    student: str
    notebook: Path
    cell_name: str
    score: float
    image: ImageInfo | None = None
    excerpt: str = ""


@dataclass(frozen=True)
class DuplicateCluster:
    """Submissions of one lab whose screenshots or texts look copied, for human review.

    ``kind`` is ``exact_image`` (same bytes), ``similar_image`` (close perceptual hashes)
    or ``similar_text`` (overlapping word shingles).
    """

    kind: str
    lab: str
    members: tuple[ClusterMember, ...]

    @property
    def students(self) -> list[str]:
        return sorted({member.student for member in self.members})
