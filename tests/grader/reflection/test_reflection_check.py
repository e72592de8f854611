"""check_submission on real notebooks with real, generated and hostile images."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image, ImageFile
from reflection_samples import (
    FILES,
    LAB,
    PROMPT,
    b64,
    encode,
    prompt_cell,
    screenshot,
    screenshot_cell,
    text_cell,
    words,
)

from grader.reflection import FlagCode, ReflectionConfig, RubricLine, check_submission

CONFIG = ReflectionConfig()


def _points(result, line: RubricLine) -> float:
    return sum(score.points for score in result.rubric if score.line == line)


def _codes(result) -> list[FlagCode]:
    return [flag.code for flag in result.all_flags]


def _attached(data: bytes, mime: str = "image/png") -> dict:
    return {"shot.png": {mime: b64(data)}}


def test_good_screenshot_scores_every_line(write_notebook):
    cell = screenshot_cell(attachments=_attached(encode(screenshot())))
    result = check_submission(write_notebook([cell]), CONFIG)

    assert result.student == "alice"
    assert result.lab == LAB
    assert _codes(result) == []
    assert result.points == 3.0
    assert result.max_points == 3.0
    image = result.images[0]
    assert (image.format, image.width, image.height) == ("PNG", 800, 500)
    assert image.grey_stddev > CONFIG.blank_threshold
    assert Image.open(io.BytesIO(image.thumbnail_png)).size == (160, 100)


def test_small_screenshot_loses_size_point(write_notebook):
    cell = screenshot_cell(attachments=_attached(encode(screenshot(size=(300, 200)))))
    result = check_submission(write_notebook([cell]), CONFIG)

    assert _points(result, RubricLine.SCREENSHOT_PRESENT) == 1.0
    assert _points(result, RubricLine.SCREENSHOT_SIZE) == 0.0
    assert _points(result, RubricLine.SCREENSHOT_NOT_BLANK) == 1.0
    assert _codes(result) == [FlagCode.IMAGE_TOO_SMALL]
    assert result.all_flags[0].message == ("attachment:shot.png: 300x200 is smaller than 400x250")


def test_blank_screenshot_loses_blank_point(write_notebook):
    blank = Image.new("RGB", (1280, 720), (255, 255, 255))
    cell = screenshot_cell(attachments=_attached(encode(blank)))
    result = check_submission(write_notebook([cell]), CONFIG)

    assert _points(result, RubricLine.SCREENSHOT_PRESENT) == 1.0
    assert _points(result, RubricLine.SCREENSHOT_SIZE) == 1.0
    assert _points(result, RubricLine.SCREENSHOT_NOT_BLANK) == 0.0
    assert _codes(result) == [FlagCode.IMAGE_BLANK]
    assert "standard deviation 0.00 is below 4.0" in result.all_flags[0].message


@pytest.mark.parametrize(
    ("file_name", "mime", "expected"),
    [
        ("corrupt-idat.png", "image/png", [FlagCode.CORRUPT_IMAGE]),
        ("truncated.jpg", "image/jpeg", [FlagCode.CORRUPT_IMAGE]),
        ("not-an-image.png", "image/png", [FlagCode.UNSUPPORTED_FORMAT]),
        ("bomb-100000x100000.png", "image/png", [FlagCode.DECOMPRESSION_BOMB]),
        ("script.svg", "image/svg+xml", [FlagCode.SVG_SCRIPT, FlagCode.SVG_IMAGE]),
    ],
)
def test_hostile_attachment_becomes_flag(write_notebook, file_name, mime, expected):
    data = (FILES / file_name).read_bytes()
    cell = screenshot_cell(attachments=_attached(data, mime))
    result = check_submission(write_notebook([cell]), CONFIG)

    assert _codes(result) == expected
    assert result.points == 0.0
    assert result.max_points == 3.0
    assert result.images == []


def test_bomb_flagged_without_decoding(write_notebook, monkeypatch):
    loads: list[object] = []
    original_load = ImageFile.ImageFile.load

    def spy(self):
        loads.append(self)
        return original_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    config = ReflectionConfig(max_pixels=10_000_000)
    cell = screenshot_cell(
        source="![a](attachment:a.png) ![b](attachment:b.png)",
        attachments={
            "a.png": {"image/png": b64((FILES / "bomb-100000x100000.png").read_bytes())},
            "b.png": {"image/png": b64((FILES / "large-6000x6000.png").read_bytes())},
        },
    )
    result = check_submission(write_notebook([cell]), config)

    assert _codes(result) == [FlagCode.DECOMPRESSION_BOMB, FlagCode.DECOMPRESSION_BOMB]
    assert loads == []
    assert result.all_flags[1].message == (
        "attachment:b.png: the header declares 6000x6000 = 36000000 pixels, "
        "more than the limit of 10000000; not decoded"
    )


@pytest.mark.parametrize(
    ("source", "attachments", "expected", "message"),
    [
        (
            "![shot](attachment:missing.png)",
            {},
            FlagCode.DANGLING_ATTACHMENT,
            "attachment:missing.png: the cell references a missing attachment",
        ),
        (
            "![shot](attachment:shot.png)",
            {"shot.png": {"image/png": "%%% not base64 !!!"}},
            FlagCode.INVALID_BASE64,
            None,
        ),
        (
            "![shot](attachment:shot.png)",
            {"shot.png": {"image/png": 12345}},
            FlagCode.INVALID_ATTACHMENT,
            "attachment:shot.png: image/png data is not a string",
        ),
        (
            "![shot](attachment:shot.png)",
            {"shot.png": "iVBORw0KGgo="},
            FlagCode.INVALID_ATTACHMENT,
            "attachment:shot.png: the attachment is not a MIME bundle",
        ),
        (
            "![shot](attachment:shot.png)",
            {"shot.png": {"text/html": b64(b"<script>alert(1)</script>")}},
            FlagCode.UNSUPPORTED_FORMAT,
            "attachment:shot.png: not a readable PNG/JPEG/GIF/WEBP image",
        ),
        (
            "![shot](https://example.invalid/shot.png)",
            None,
            FlagCode.REMOTE_IMAGE,
            "https://example.invalid/shot.png: remote images are not fetched; paste the image",
        ),
        (
            '<img src="data:image/png,rawbytes">',
            None,
            FlagCode.INVALID_BASE64,
            "inline data URI: the data URI is not base64 encoded",
        ),
        (
            "The screenshot is below.",
            None,
            FlagCode.NO_SCREENSHOT,
            "the reflection cell holds no image",
        ),
    ],
)
def test_broken_reference_becomes_flag(write_notebook, source, attachments, expected, message):
    cell = screenshot_cell(source=source, attachments=attachments)
    result = check_submission(write_notebook([cell]), CONFIG)

    assert _codes(result) == [expected]
    if message is not None:
        assert result.all_flags[0].message == message
    assert result.points == 0.0


def test_huge_attachment_not_decoded(write_notebook):
    data = encode(screenshot())
    config = ReflectionConfig(max_image_bytes=len(data) // 2)
    cell = screenshot_cell(attachments=_attached(data))
    result = check_submission(write_notebook([cell]), config)

    assert _codes(result) == [FlagCode.IMAGE_TOO_LARGE]
    assert (
        f"exceeds the limit of {len(data) // 2} bytes; not decoded" in result.all_flags[0].message
    )


def test_file_in_submission_folder_is_used(write_notebook):
    path = write_notebook([screenshot_cell(source="![shot](my%20shot.png)")])
    (path.parent / "my shot.png").write_bytes(encode(screenshot()))
    result = check_submission(path, CONFIG)

    assert _codes(result) == []
    assert result.points == 3.0
    assert result.images[0].source == "my shot.png"


def test_extra_files_dir_is_searched(write_notebook, tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "shot.jpg").write_bytes(encode(screenshot(), "JPEG", quality=80))
    path = write_notebook([screenshot_cell(source="![shot](shot.jpg)")])
    result = check_submission(path, CONFIG, extra_files_dir=extra)

    assert _codes(result) == []
    assert result.images[0].format == "JPEG"


def test_path_outside_submission_rejected(write_notebook, tmp_path):
    (tmp_path / "secret.png").write_bytes(encode(screenshot()))
    path = write_notebook([screenshot_cell(source="![x](../../secret.png) ![y](/etc/passwd)")])
    result = check_submission(path, CONFIG)

    assert _codes(result) == [FlagCode.PATH_OUTSIDE_SUBMISSION] * 2
    assert result.all_flags[0].message == (
        "../../secret.png: the path leaves the submission folder"
    )
    assert result.points == 0.0


def test_missing_file_flagged(write_notebook):
    result = check_submission(write_notebook([screenshot_cell(source="![x](gone.png)")]), CONFIG)

    assert _codes(result) == [FlagCode.MISSING_FILE]
    assert result.all_flags[0].message == "gone.png: the file is not in the submission"


def test_inline_data_uri_accepted(write_notebook):
    source = f'<img src="data:image/png;base64,{b64(encode(screenshot()))}" alt="shot">'
    result = check_submission(write_notebook([screenshot_cell(source=source)]), CONFIG)

    assert _codes(result) == []
    assert result.images[0].source == "inline data URI"


def test_mime_mismatch_flagged_but_scored(write_notebook):
    data = encode(screenshot(), "JPEG", quality=90)
    result = check_submission(
        write_notebook([screenshot_cell(attachments=_attached(data, "image/png"))]), CONFIG
    )

    assert _codes(result) == [FlagCode.MIME_MISMATCH]
    assert result.points == 3.0


def test_best_of_several_images_scores(write_notebook):
    cell = screenshot_cell(
        source="![a](attachment:small.png) ![b](attachment:big.png)",
        attachments={
            "small.png": {"image/png": b64(encode(screenshot(size=(100, 80))))},
            "big.png": {"image/png": b64(encode(screenshot(seed=2)))},
        },
    )
    result = check_submission(write_notebook([cell]), CONFIG)

    assert result.points == 3.0
    assert len(result.images) == 2


def test_screenshot_in_other_cell_found(write_notebook):
    import nbformat

    instructor = nbformat.v4.new_markdown_cell("![diagram](attachment:diagram.png)")
    instructor["attachments"] = _attached(encode(screenshot(seed=9)))
    instructor["attachments"] = {"diagram.png": instructor["attachments"]["shot.png"]}
    instructor.metadata["nbgrader"] = {
        "schema_version": 3,
        "grade": False,
        "solution": False,
        "locked": True,
        "grade_id": "intro",
    }
    pasted = nbformat.v4.new_markdown_cell("here ![p](attachment:image.png)")
    pasted["attachments"] = {"image.png": {"image/png": b64(encode(screenshot()))}}
    cells = [instructor, screenshot_cell(source="YOUR ANSWER HERE"), pasted]
    result = check_submission(write_notebook(cells), CONFIG)

    assert _codes(result) == [FlagCode.SCREENSHOT_OUTSIDE_CELL]
    assert result.all_flags[0].message == (
        "the screenshot was found in cell 2, not in the reflection cell"
    )
    assert result.points == 3.0
    assert [image.source for image in result.images] == ["attachment:image.png"]


def test_instructor_image_never_taken(write_notebook):
    import nbformat

    instructor = nbformat.v4.new_markdown_cell("![diagram](attachment:diagram.png)")
    instructor["attachments"] = {"diagram.png": {"image/png": b64(encode(screenshot()))}}
    instructor.metadata["nbgrader"] = {
        "schema_version": 3,
        "grade": False,
        "solution": False,
        "locked": True,
        "grade_id": "intro",
    }
    result = check_submission(write_notebook([instructor, screenshot_cell(source="")]), CONFIG)

    assert _codes(result) == [FlagCode.NO_SCREENSHOT]
    assert result.points == 0.0


def test_short_text_flagged(write_notebook):
    result = check_submission(write_notebook([text_cell(words(60))]), CONFIG)

    assert _codes(result) == [FlagCode.TEXT_TOO_SHORT]
    assert result.all_flags[0].message == "60 words, fewer than the minimum of 100"
    assert _points(result, RubricLine.TEXT_LENGTH) == 0.0
    assert result.cells[0].grade_id == "reflection-text"
    assert result.cells[0].name == "reflection-text"


def test_long_text_scores(write_notebook):
    source = f"**My answer.** {words(120)}\n\n![ignored](attachment:x.png) https://a.example/b"
    result = check_submission(write_notebook([text_cell(source)]), CONFIG)

    assert _codes(result) == []
    assert _points(result, RubricLine.TEXT_LENGTH) == 1.0
    assert len(result.cells[0].words) == 122


def test_prompt_and_stub_not_counted(write_notebook):
    source = f"YOUR ANSWER HERE\n\n> {PROMPT}\n\n{words(95)}\n\n{PROMPT}"
    result = check_submission(write_notebook([prompt_cell(), text_cell(source)]), CONFIG)

    assert _codes(result) == [FlagCode.TEXT_TOO_SHORT]
    assert result.all_flags[0].message == "95 words, fewer than the minimum of 100"


def test_prompt_words_counted_when_not_copied(write_notebook):
    # Single prompt words used in the student's own sentences still count.
    source = words(98) + " endpoint instance"
    result = check_submission(write_notebook([prompt_cell(), text_cell(source)]), CONFIG)

    assert _codes(result) == []
    assert len(result.cells[0].words) == 100


def test_no_reflection_cells_flagged(write_notebook):
    import nbformat

    result = check_submission(write_notebook([nbformat.v4.new_markdown_cell("hi")]), CONFIG)

    assert _codes(result) == [FlagCode.NO_REFLECTION_CELLS]
    assert result.max_points == 0.0


@pytest.mark.parametrize("content", ['{"cells": [', "not json", '{"nbformat": 4}'])
def test_unreadable_notebook_flagged(tmp_path, content):
    path = tmp_path / "bob" / LAB / "reflection.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    result = check_submission(path, CONFIG)

    assert result.student == "bob"
    assert [flag.code for flag in result.flags] == [FlagCode.NOTEBOOK_UNREADABLE]
    assert result.flags[0].message.startswith("reflection.ipynb could not be read: ")


def test_comment_lists_rubric_and_flags(write_notebook):
    cells = [
        screenshot_cell(attachments=_attached(encode(screenshot(size=(300, 200)))), name="shot"),
        text_cell(words(10)),
    ]
    result = check_submission(write_notebook(cells), CONFIG)

    assert result.cells[0].comment.splitlines() == [
        "screenshot_present: 1/1 (attachment:shot.png, PNG 300x200)",
        "screenshot_size: 0/1 (minimum 400x250)",
        "screenshot_not_blank: 1/1 (has visible content)",
        "flag image_too_small: attachment:shot.png: 300x200 is smaller than 400x250",
    ]
    assert "[reflection-text]\ntext_length: 0/1 (10 words, minimum 100)" in result.comment


def test_explicit_student_and_lab(write_notebook):
    path = write_notebook([text_cell(words(100))])
    result = check_submission(path, CONFIG, student="s-42", lab="lab-x")

    assert (result.student, result.lab) == ("s-42", "lab-x")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("min_words", -1, "ReflectionConfig.min_words must be >= 0, got -1"),
        (
            "text_similarity_threshold",
            1.5,
            "ReflectionConfig.text_similarity_threshold must be between 0.0 and 1.0, got 1.5",
        ),
        ("max_pixels", 0, "ReflectionConfig.max_pixels must be >= 1, got 0"),
        (
            "points_text_length",
            -2.0,
            "ReflectionConfig.points_text_length must be >= 0.0, got -2.0",
        ),
    ],
)
def test_config_rejects_bad_value(option, value, message):
    with pytest.raises(ValueError) as error:
        ReflectionConfig(**{option: value})
    assert str(error.value) == message


def test_every_option_has_help():
    from grader.reflection import option_help

    help_texts = option_help()
    assert set(help_texts) >= {"min_words", "max_pixels", "blank_threshold"}
    assert all(text.strip() for text in help_texts.values())


def test_palette_gif_accepted(write_notebook):
    # A GIF with a palette and transparency decodes and thumbnails without errors.
    image = screenshot().convert("P", palette=Image.Palette.ADAPTIVE)
    data = encode(image, "GIF", transparency=0)
    result = check_submission(
        write_notebook([screenshot_cell(attachments=_attached(data, "image/gif"))]), CONFIG
    )

    assert _codes(result) == []
    assert result.images[0].format == "GIF"


def test_malformed_cells_do_not_crash(tmp_path):
    path = tmp_path / "carol" / LAB / "reflection.ipynb"
    path.parent.mkdir(parents=True)
    cells = [
        {"cell_type": "markdown", "metadata": ["not", "a", "dict"], "source": "x"},
        {"cell_type": "markdown", "metadata": {"sagelab": "screenshot"}, "source": [1, 2]},
        {
            "cell_type": "markdown",
            "metadata": {"sagelab": {"reflection": "screenshot"}, "nbgrader": 7},
            "source": ["![s](attachment:s.png)"],
            "attachments": ["s.png"],
        },
    ]
    path.write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
    )
    result = check_submission(path, CONFIG)

    assert _codes(result) == [FlagCode.DANGLING_ATTACHMENT]
    assert result.points == 0.0
