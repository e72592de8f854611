"""Notebook and screenshot builders shared by the reflection tests."""

from __future__ import annotations

import base64
import io
import random
from pathlib import Path
from typing import Any

import nbformat
from PIL import Image, ImageDraw

FILES = Path(__file__).parent / "files"
LAB = "07-reflection"
PROMPT = (
    "Describe what the endpoint returned, which instance type you chose and why, "
    "and one thing you would change before production."
)


def screenshot(seed: int = 1, size: tuple[int, int] = (800, 500)) -> Image.Image:
    """Draw a console-like page: a title bar, a side menu and rows of coloured boxes."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, (250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, height // 10), fill=(35, 47, 62))
    draw.rectangle((0, height // 10, width // 6, height), fill=(230, 232, 235))
    for _ in range(40):
        left = rng.randrange(width // 6, width - 40)
        top = rng.randrange(height // 10, height - 20)
        color = tuple(rng.randrange(0, 256) for _ in range(3))
        draw.rectangle((left, top, left + rng.randrange(20, 200), top + 12), fill=color)
        draw.text((left, top + 14), f"row {rng.randrange(1000)}", fill=(0, 0, 0))
    return image


def encode(image: Image.Image, image_format: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def screenshot_cell(
    source: str = "![console](attachment:shot.png)",
    attachments: dict[str, Any] | None = None,
    **marker: Any,
) -> Any:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["sagelab"] = {"reflection": "screenshot", **marker}
    if attachments is not None:
        cell["attachments"] = attachments
    return cell


def text_cell(source: str, **marker: Any) -> Any:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["sagelab"] = {"reflection": "text", **marker}
    cell.metadata["nbgrader"] = {
        "schema_version": 3,
        "grade": True,
        "solution": True,
        "locked": False,
        "grade_id": "reflection-text",
        "points": 2,
    }
    return cell


def prompt_cell(source: str = PROMPT) -> Any:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["sagelab"] = {"reflection": "prompt"}
    cell.metadata["nbgrader"] = {
        "schema_version": 3,
        "grade": False,
        "solution": False,
        "locked": True,
        "grade_id": "reflection-prompt",
    }
    return cell


def words(count: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    vocabulary = [
        "endpoint", "model", "latency", "instance", "xgboost", "training", "data", "feature",
        "request", "response", "cost", "scaling", "monitor", "metric", "accuracy", "batch",
        "payload", "region",
    ]  # fmt: skip
    return " ".join(rng.choice(vocabulary) for _ in range(count))
