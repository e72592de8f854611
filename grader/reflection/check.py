"""Check the screenshot and text reflections of one submitted notebook."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import nbformat

from grader.reflection import cells as cellmod
from grader.reflection.config import ReflectionConfig
from grader.reflection.images import ImageOutcome, inspect_image
from grader.reflection.model import (
    CellResult,
    Flag,
    FlagCode,
    ImageInfo,
    ReflectionResult,
    RubricLine,
    RubricScore,
)

logger = logging.getLogger(__name__)

_RASTER_PREFERENCE = ("image/png", "image/jpeg", "image/gif", "image/webp")


def check_submission(
    notebook_path: Path,
    config: ReflectionConfig,
    *,
    extra_files_dir: Path | None = None,
    student: str | None = None,
    lab: str | None = None,
) -> ReflectionResult:
    """Check every reflection cell of a submitted notebook and score its rubric lines.

    Image files referenced by a relative path are looked up in ``extra_files_dir``, by default
    the notebook's folder, and never outside it. ``student`` and ``lab`` default to the
    nbgrader layout ``<student>/<lab>/<notebook>.ipynb``. Broken notebooks and images become
    flags; this function only raises for programming errors.
    """
    student = student or notebook_path.parent.parent.name
    lab = lab or notebook_path.parent.name
    result = ReflectionResult(student=student, lab=lab, notebook=notebook_path)
    files_dir = extra_files_dir if extra_files_dir is not None else notebook_path.parent

    notebook = _read_notebook(notebook_path, result)
    if notebook is None:
        return result

    _Checker(notebook, config, files_dir, result).run()
    for flag in result.all_flags:
        logger.info("lab %s student %s: flag %s: %s", lab, student, flag.code.value, flag.message)
    logger.info(
        "lab %s student %s: reflection %g/%g points, %d flags",
        lab,
        student,
        result.points,
        result.max_points,
        len(result.all_flags),
    )
    return result


def _read_notebook(path: Path, result: ReflectionResult) -> Any | None:
    """Return the notebook as nbformat 4, or its raw JSON when nbformat rejects its content."""
    try:
        return nbformat.read(path, as_version=4, capture_validation_error={})
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        reason = str(error)
    except nbformat.ValidationError as error:
        reason = error.message

    # nbformat rejects some schema errors (an attachment that is not a MIME bundle, a source
    # list of numbers) even with capture_validation_error. The cells are still worth
    # checking, and each bad attachment then gets its own flag.
    raw = _raw_notebook(path)
    if raw is not None:
        logger.info(
            "lab %s student %s: %s does not match the notebook schema: %s",
            result.lab,
            result.student,
            path,
            reason,
        )
        return raw

    logger.warning(
        "lab %s student %s: notebook %s is unreadable: %s", result.lab, result.student, path, reason
    )
    result.flags.append(
        Flag(FlagCode.NOTEBOOK_UNREADABLE, f"{path.name} could not be read: {reason}")
    )
    return None


def _raw_notebook(path: Path) -> dict[str, Any] | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or raw.get("nbformat") != 4:
        return None
    cells = raw.get("cells")
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        return None
    return raw


class _Checker:
    """One pass over a notebook; state lives here so helper functions stay short."""

    def __init__(
        self, notebook: Any, config: ReflectionConfig, files_dir: Path, result: ReflectionResult
    ) -> None:
        self.cells = list(notebook.get("cells", []))
        self.config = config
        self.files_dir = files_dir
        self.result = result

    def run(self) -> None:
        kinds = [cellmod.reflection_kind(cell) for cell in self.cells]
        if not any(kind in (cellmod.SCREENSHOT, cellmod.TEXT) for kind in kinds):
            self.result.flags.append(
                Flag(
                    FlagCode.NO_REFLECTION_CELLS,
                    "no cell carries the metadata sagelab.reflection = screenshot or text",
                )
            )
            return

        prompts = [
            cellmod.words(cellmod.cell_source(cell))
            for cell, kind in zip(self.cells, kinds, strict=True)
            if kind == cellmod.PROMPT
        ]
        for index, (cell, kind) in enumerate(zip(self.cells, kinds, strict=True)):
            if kind == cellmod.SCREENSHOT:
                self.result.cells.append(self._screenshot_cell(cell, index))
            elif kind == cellmod.TEXT:
                self.result.cells.append(self._text_cell(cell, index, prompts))

        self._use_images_outside_cells(kinds)
        for cell_result in self.result.cells:
            if cell_result.kind == cellmod.SCREENSHOT:
                self._score_screenshot(cell_result)

    def _new_result(self, cell: Any, index: int, kind: str) -> CellResult:
        return CellResult(
            index=index,
            kind=kind,
            name=cellmod.cell_name(cell, index),
            grade_id=cellmod.grade_id(cell),
        )

    # Screenshots

    def _screenshot_cell(self, cell: Any, index: int) -> CellResult:
        cell_result = self._new_result(cell, index, cellmod.SCREENSHOT)
        refs = cellmod.image_refs(cell, index)
        for name in cellmod.unreferenced_attachments(cell, refs):
            refs.append(cellmod.ImageRef("attachment", name, index))
        for ref in refs:
            self._add_image(cell_result, cell, ref)
        return cell_result

    def _add_image(self, cell_result: CellResult, cell: Any, ref: cellmod.ImageRef) -> None:
        outcome = self._load(cell, ref)
        cell_result.flags.extend(outcome.flags)
        if outcome.info is not None:
            cell_result.images.append(outcome.info)

    def _load(self, cell: Any, ref: cellmod.ImageRef) -> ImageOutcome:
        if ref.kind == "attachment":
            return self._load_attachment(cell, ref)
        if ref.kind == "data":
            return self._load_data_uri(ref)
        if ref.kind == "remote":
            return _flagged(
                FlagCode.REMOTE_IMAGE, ref, "remote images are not fetched; paste the image"
            )
        return self._load_file(ref)

    def _load_attachment(self, cell: Any, ref: cellmod.ImageRef) -> ImageOutcome:
        attachments = cell.get("attachments")
        attachments = attachments if isinstance(attachments, dict) else {}
        bundle = attachments.get(ref.target, attachments.get(unquote(ref.target)))
        if bundle is None:
            return _flagged(
                FlagCode.DANGLING_ATTACHMENT, ref, "the cell references a missing attachment"
            )
        if not isinstance(bundle, dict) or not bundle:
            return _flagged(FlagCode.INVALID_ATTACHMENT, ref, "the attachment is not a MIME bundle")
        mime = next((m for m in _RASTER_PREFERENCE if m in bundle), next(iter(bundle)))
        payload = bundle[mime]
        payload = "".join(payload) if isinstance(payload, list) else payload
        if not isinstance(payload, str):
            return _flagged(FlagCode.INVALID_ATTACHMENT, ref, f"{mime} data is not a string")
        return self._decode_base64(payload, ref, str(mime))

    def _load_data_uri(self, ref: cellmod.ImageRef) -> ImageOutcome:
        header, _, payload = ref.target.partition(",")
        mime = header[len("data:") :].split(";")[0] or None
        if ";base64" not in header.lower():
            return _flagged(FlagCode.INVALID_BASE64, ref, "the data URI is not base64 encoded")
        return self._decode_base64(payload, ref, mime)

    def _decode_base64(self, payload: str, ref: cellmod.ImageRef, mime: str | None) -> ImageOutcome:
        compact = "".join(payload.split())
        decoded_size = len(compact) * 3 // 4
        if decoded_size > self.config.max_image_bytes:
            return _flagged(
                FlagCode.IMAGE_TOO_LARGE,
                ref,
                f"about {decoded_size} bytes exceeds the limit of "
                f"{self.config.max_image_bytes} bytes; not decoded",
            )
        try:
            data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError) as error:
            return _flagged(FlagCode.INVALID_BASE64, ref, f"invalid base64 data ({error})")
        return inspect_image(
            data, source=ref.label, cell=ref.cell, config=self.config, declared_mime=mime
        )

    def _load_file(self, ref: cellmod.ImageRef) -> ImageOutcome:
        relative = Path(ref.target)
        root = self.files_dir.resolve()
        candidate = (root / relative).resolve()
        if relative.is_absolute() or not candidate.is_relative_to(root):
            return _flagged(
                FlagCode.PATH_OUTSIDE_SUBMISSION, ref, "the path leaves the submission folder"
            )
        if not candidate.is_file():
            return _flagged(FlagCode.MISSING_FILE, ref, "the file is not in the submission")
        size = candidate.stat().st_size
        if size > self.config.max_image_bytes:
            return _flagged(
                FlagCode.IMAGE_TOO_LARGE,
                ref,
                f"{size} bytes exceeds the limit of {self.config.max_image_bytes} bytes",
            )
        return inspect_image(
            candidate.read_bytes(), source=ref.label, cell=ref.cell, config=self.config
        )

    def _use_images_outside_cells(self, kinds: list[str | None]) -> None:
        """Give a screenshot cell without an image the attachments a student pasted elsewhere.

        Only unlocked cells count, so instructor figures in read-only cells are never taken.
        """
        empty = [c for c in self.result.cells if c.kind == cellmod.SCREENSHOT and not c.images]
        if not empty:
            return
        for index, (cell, kind) in enumerate(zip(self.cells, kinds, strict=True)):
            if kind == cellmod.SCREENSHOT or cellmod.is_instructor_cell(cell) or not empty:
                continue
            refs = [ref for ref in cellmod.image_refs(cell, index) if ref.kind == "attachment"]
            refs += [
                cellmod.ImageRef("attachment", name, index)
                for name in cellmod.unreferenced_attachments(cell, refs)
            ]
            target = empty[0]
            for ref in refs:
                self._add_image(target, cell, ref)
            if target.images:
                target.flags.append(
                    Flag(
                        FlagCode.SCREENSHOT_OUTSIDE_CELL,
                        f"the screenshot was found in cell {index}, not in the reflection cell",
                        index,
                    )
                )
                empty.pop(0)

    def _score_screenshot(self, cell_result: CellResult) -> None:
        config = self.config
        best = _best_image(cell_result.images, config)
        present = best is not None
        big_enough = best is not None and _big_enough(best, config)
        not_blank = best is not None and best.grey_stddev >= config.blank_threshold

        if not present and not cell_result.flags:
            cell_result.flags.append(
                Flag(
                    FlagCode.NO_SCREENSHOT, "the reflection cell holds no image", cell_result.index
                )
            )
        if best is not None and not big_enough:
            cell_result.flags.append(
                Flag(
                    FlagCode.IMAGE_TOO_SMALL,
                    f"{best.source}: {best.width}x{best.height} is smaller than "
                    f"{config.min_width}x{config.min_height}",
                    best.cell,
                    best.source,
                )
            )
        if best is not None and not not_blank:
            cell_result.flags.append(
                Flag(
                    FlagCode.IMAGE_BLANK,
                    f"{best.source}: grey-level standard deviation {best.grey_stddev:.2f} is "
                    f"below {config.blank_threshold}",
                    best.cell,
                    best.source,
                )
            )

        summary = (
            "no readable image"
            if best is None
            else (f"{best.source}, {best.format} {best.width}x{best.height}")
        )
        cell_result.rubric = [
            _score(
                RubricLine.SCREENSHOT_PRESENT,
                cell_result,
                present,
                config.points_screenshot_present,
                summary,
            ),
            _score(
                RubricLine.SCREENSHOT_SIZE,
                cell_result,
                big_enough,
                config.points_screenshot_size,
                f"minimum {config.min_width}x{config.min_height}",
            ),
            _score(
                RubricLine.SCREENSHOT_NOT_BLANK,
                cell_result,
                not_blank,
                config.points_screenshot_not_blank,
                "blank or unreadable" if not not_blank else "has visible content",
            ),
        ]

    # Text

    def _text_cell(self, cell: Any, index: int, prompts: list[list[str]]) -> CellResult:
        cell_result = self._new_result(cell, index, cellmod.TEXT)
        answer = cellmod.remove_prompt_words(cellmod.words(cellmod.cell_source(cell)), prompts)
        cell_result.words = tuple(answer)
        long_enough = len(answer) >= self.config.min_words
        if not long_enough:
            cell_result.flags.append(
                Flag(
                    FlagCode.TEXT_TOO_SHORT,
                    f"{len(answer)} words, fewer than the minimum of {self.config.min_words}",
                    index,
                )
            )
        cell_result.rubric = [
            _score(
                RubricLine.TEXT_LENGTH,
                cell_result,
                long_enough,
                self.config.points_text_length,
                f"{len(answer)} words, minimum {self.config.min_words}",
            ),
        ]
        return cell_result


def _flagged(code: FlagCode, ref: cellmod.ImageRef, message: str) -> ImageOutcome:
    return ImageOutcome(flags=[Flag(code, f"{ref.label}: {message}", ref.cell, ref.label)])


def _big_enough(image: ImageInfo, config: ReflectionConfig) -> bool:
    return image.width >= config.min_width and image.height >= config.min_height


def _best_image(images: list[ImageInfo], config: ReflectionConfig) -> ImageInfo | None:
    """Return the image that passes the most rubric lines; the first one wins a tie."""
    if not images:
        return None

    def passed(image: ImageInfo) -> int:
        return int(_big_enough(image, config)) + int(image.grey_stddev >= config.blank_threshold)

    return max(images, key=passed)


def _score(
    line: RubricLine, cell_result: CellResult, passed: bool, points: float, comment: str
) -> RubricScore:
    return RubricScore(
        line=line,
        cell_name=cell_result.name,
        points=points if passed else 0.0,
        max_points=points,
        comment=comment,
    )
