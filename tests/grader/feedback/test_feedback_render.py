"""render_feedback on an autograded-style notebook with hidden tests and hostile content."""

from __future__ import annotations

import base64
import html
import io
import re

import nbformat
import pytest
from PIL import Image

from grader.feedback import HIDDEN_LINE, render_feedback
from grader.reflection import ReflectionConfig, check_submission
from grader.report.model import TestRecord

HIDDEN_REGION = [
    "### BEGIN HIDDEN TESTS",
    'assert add(-40, 2) == -38, "negative numbers"',
    "assert secret_helper_check(add) is True",
    "### END HIDDEN TESTS",
]
HIDDEN_ONLY = "assert abs(add(0.1, 0.2) - 0.3) < 1e-9  # float tolerance check"


def _png(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, "PNG")
    return buffer.getvalue()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _grade_cell(source: str, grade_id: str, outputs: list | None = None):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "schema_version": 3,
        "grade": True,
        "solution": False,
        "locked": True,
        "grade_id": grade_id,
        "points": 2,
    }
    cell.outputs = outputs or []
    return cell


def _notebook():
    solution = nbformat.v4.new_code_cell("def add(a, b):\n    return a + b\nadd(1, 2)")
    solution.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="\x1b[31mred text\x1b[0m\n"),
        nbformat.v4.new_output(
            "execute_result",
            data={
                "text/html": '<b>bold</b><script>alert("out")</script>'
                '<img src="x" onerror="alert(1)">',
                "text/plain": "3",
            },
            execution_count=1,
        ),
        nbformat.v4.new_output("display_data", data={"image/png": _b64(_png((0, 0, 255)))}),
        nbformat.v4.new_output(
            "display_data", data={"application/javascript": "alert('js output')"}
        ),
    ]
    traceback = [
        "\x1b[0;31mAssertionError\x1b[0m   Traceback (most recent call last)",
        '\x1b[0;32m----> 3\x1b[0m assert add(-40, 2) == -38, "negative numbers"',
        "\x1b[0;31mAssertionError\x1b[0m: negative numbers",
    ]
    mixed = _grade_cell(
        "\n".join(["assert add(1, 1) == 2", *HIDDEN_REGION]),
        "test_add_hidden",
        [nbformat.v4.new_output("error", ename="AssertionError", evalue="negative numbers",
                                traceback=traceback)],
    )  # fmt: skip
    hidden_only = _grade_cell(HIDDEN_ONLY, "test_add_float")
    hidden_only.outputs = [nbformat.v4.new_output("stream", name="stdout", text=HIDDEN_ONLY)]

    markdown = nbformat.v4.new_markdown_cell(
        "My answer <script>alert('md')</script> <img src=x onerror=alert(2)>\n\n"
        "![good](attachment:good.png) ![gone](attachment:gone.png) "
        "![svg](attachment:drawing.svg) ![bad](attachment:bad.png)\n\n"
        "[click](javascript:alert(3)) [data](data:text/html,<script>x</script>) "
        "[docs](https://docs.aws.amazon.com/sagemaker/)\n\n"
        '<a href="#" onclick="steal()">x</a> <iframe src="https://evil.example"></iframe>'
        '<img src="https://tracker.example/pixel.gif">'
    )
    markdown["attachments"] = {
        "good.png": {"image/png": _b64(_png())},
        "drawing.svg": {"image/svg+xml": "<svg onload='alert(4)'><script>x</script></svg>"},
        "bad.png": {"image/png": _b64(b"<html><script>alert(5)</script></html>")},
    }
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Lab 3"),
        solution,
        _grade_cell("assert add(1, 2) == 3", "test_add_visible"),
        mixed,
        hidden_only,
        markdown,
    ]
    return notebook


TESTS = [
    TestRecord("test_add_visible", 2, 2, name="add works"),
    TestRecord(
        "test_add_hidden",
        0,
        2,
        message='AssertionError: negative numbers\n  assert add(-40, 2) == -38, "negative numbers"',
    ),
    TestRecord("test_add_float", None, 2, hidden=True),
]


@pytest.fixture(scope="module")
def page() -> str:
    return render_feedback(
        _notebook(),
        student="alice",
        lab="03-training",
        test_results=TESTS,
        hidden_grade_ids={"test_add_hidden"},
    )


@pytest.mark.parametrize("line", [*HIDDEN_REGION[1:3], HIDDEN_ONLY, "secret_helper_check"])
def test_hidden_source_never_shown(page, line):
    assert line not in page
    assert line.replace('"', "&quot;") not in page


def test_visible_test_source_shown(page):
    assert "assert add(1, 2) == 3" in page
    assert "assert add(1, 1) == 2" in page
    assert page.count("Hidden tests are not shown") == 2


def test_test_names_and_messages_shown(page):
    assert "add works" in page
    assert "test_add_hidden" in page
    assert "AssertionError: negative numbers\n[hidden test line]" in page
    assert "Tests: 2 / 6 points" in page
    assert '<tr class="not_graded"><td>test_add_float</td><td>- / 2</td>' in page


@pytest.mark.parametrize(
    "pattern",
    [r"<script", r"onerror\s*=", r"onclick\s*=", r"onload\s*=", r"javascript:", r"<iframe",
     r"<svg", r"src=\"https?:", r"href=\"data:", r"alert\('js output'\)"],
)  # fmt: skip
def test_active_content_removed(page, pattern):
    assert re.search(pattern, page, re.IGNORECASE) is None


def test_attachments_inline_or_placeholder(page):
    assert f'src="data:image/png;base64,{_b64(_png())}"' in page
    assert f'src="data:image/png;base64,{_b64(_png((0, 0, 255)))}"' in page
    assert "[missing attachment gone.png]" in page
    assert "[attachment drawing.svg (image/svg+xml) not shown]" in page
    assert "[attachment bad.png is not a PNG, JPEG or GIF image]" in page
    assert "[external image https://tracker.example/pixel.gif not loaded]" in page
    assert "[application/javascript output not shown]" in page


def test_page_is_self_contained(page):
    assert "Content-Security-Policy" in page
    assert "<link" not in page
    assert re.search(r"\bsrc=\"(?!data:image/(png|jpeg|gif);base64,)", page) is None
    assert "cdn" not in page.lower()


def test_safe_links_and_ansi(page):
    assert (
        '<a href="https://docs.aws.amazon.com/sagemaker/" rel="nofollow noopener noreferrer">'
        in (page)
    )
    assert "\x1b" not in page
    assert "red text" in page
    assert "<b>bold</b>" in page


def test_student_name_escaped():
    page = render_feedback(
        nbformat.v4.new_notebook(),
        student='<img src=x onerror="alert(1)">',
        lab="<b>lab</b>",
        test_results=[],
    )

    assert "onerror=" not in page.replace("onerror=&quot;", "")
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "&lt;b&gt;lab&lt;/b&gt;" in page


def test_unterminated_hidden_region_hidden():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        _grade_cell("assert ok()\n# BEGIN HIDDEN TESTS\nassert secret_value() == 42", "t")
    ]
    page = render_feedback(notebook, student="s", lab="l", test_results=[])

    assert "secret_value" not in page
    assert "assert ok()" in page


def test_files_dir_images(tmp_path):
    submission = tmp_path / "bob" / "lab"
    submission.mkdir(parents=True)
    (submission / "shot.png").write_bytes(_png())
    (tmp_path / "outside.png").write_bytes(_png())
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("![a](shot.png) ![b](../../outside.png) ![c](nope.png)")
    ]
    page = render_feedback(
        notebook, student="bob", lab="lab", test_results=[], files_dir=submission
    )

    assert f"data:image/png;base64,{_b64(_png())}" in page
    assert "[image path ../../outside.png is outside the submission]" in page
    assert "[image file nope.png not found]" in page


def test_large_attachment_not_embedded():
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_markdown_cell("![big](attachment:big.png)")
    cell["attachments"] = {"big.png": {"image/png": _b64(_png())}}
    notebook.cells = [cell]
    page = render_feedback(notebook, student="s", lab="l", test_results=[], max_image_bytes=50)

    assert "[attachment big.png is larger than 50 bytes]" in page
    assert "data:image/png" not in page


def test_reflection_comment_shown(tmp_path):
    path = tmp_path / "carol" / "07-reflection" / "reflection.ipynb"
    path.parent.mkdir(parents=True)
    cell = nbformat.v4.new_markdown_cell("too short")
    cell.metadata["sagelab"] = {"reflection": "text", "name": "why"}
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [cell]
    nbformat.write(notebook, path)
    reflection = check_submission(path, ReflectionConfig())

    page = render_feedback(
        notebook, student="carol", lab="07-reflection", test_results=[], reflection=reflection
    )

    assert "Reflection: 0 / 1 automatic points" in page
    assert "text_length: 0/1 (2 words, minimum 100)" in page


def test_history_output_redacted():
    # A student cell that runs %history after the tests prints their source at grading time.
    notebook = _notebook()
    spy = nbformat.v4.new_code_cell("%history")
    history = "\n".join([*HIDDEN_REGION, HIDDEN_ONLY])
    spy.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=history),
        nbformat.v4.new_output("display_data", data={"text/html": f"<pre>{history}</pre>"}),
        nbformat.v4.new_output(
            "display_data", data={"text/html": f"<pre>{html.escape(history)}</pre>"}
        ),
    ]
    notebook.cells.append(spy)

    page = render_feedback(
        notebook, student="eve", lab="03-training", test_results=TESTS,
        hidden_grade_ids={"test_add_hidden"},
    )  # fmt: skip

    for line in [*HIDDEN_REGION[1:3], HIDDEN_ONLY]:
        assert line not in page
        assert html.escape(line) not in page
    assert page.count(HIDDEN_LINE) >= 12
