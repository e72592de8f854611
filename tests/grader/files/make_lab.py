"""Write the small nbgrader source lab the grader tests release: ``labs/01-toy/``.

Run ``python tests/grader/files/make_lab.py`` after changing it; the output is committed.
The lab has two autograded answers with visible and hidden tests, and one manually graded
written answer: 4 automatic points and 1 manual point.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
LAB = "01-toy"


def _meta(grade_id: str, *, grade=False, solution=False, locked=False, points=None, task=False):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": task,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


CELLS = [
    new_markdown_cell(
        "# Toy lab\n\nImplement `add` and `column_means`, then explain your approach.",
        metadata=_meta("intro", locked=True),
    ),
    new_code_cell(
        "import numpy as np\n\nDATA_ROWS = open('data.csv').read().split()",
        metadata=_meta("imports", locked=True),
    ),
    new_code_cell(
        "def add(a, b):\n"
        '    """Return the sum of a and b."""\n'
        "    ### BEGIN SOLUTION\n"
        "    return a + b\n"
        "    ### END SOLUTION",
        metadata=_meta("add_answer", solution=True),
    ),
    new_code_cell(
        "def column_means(rows):\n"
        '    """Return the mean of each column of a 2-D list as a numpy array."""\n'
        "    ### BEGIN SOLUTION\n"
        "    return np.asarray(rows, dtype=float).mean(axis=0)\n"
        "    ### END SOLUTION",
        metadata=_meta("means_answer", solution=True),
    ),
    new_code_cell(
        "result = add(2, 3)\n"
        'assert type(result) is int, "add must return an int for int inputs"\n'
        "assert result == 5\n"
        "### BEGIN HIDDEN TESTS\n"
        "assert add(-1, 1) == 0\n"
        "assert add(10, 32) == 42\n"
        "### END HIDDEN TESTS",
        metadata=_meta("test_add", grade=True, locked=True, points=2),
    ),
    new_code_cell(
        "means = column_means([[1, 2], [3, 4]])\n"
        "assert type(means) is np.ndarray\n"
        "np.testing.assert_allclose(means, [2.0, 3.0])\n"
        "### BEGIN HIDDEN TESTS\n"
        "np.testing.assert_allclose(column_means([[0, 0, 1], [2, 0, 1]]), [1.0, 0.0, 1.0])\n"
        "### END HIDDEN TESTS",
        metadata=_meta("test_means", grade=True, locked=True, points=2),
    ),
    new_markdown_cell(
        "Explain in two sentences how `column_means` works.",
        metadata=_meta("explain_prompt", locked=True),
    ),
    new_markdown_cell(
        "### BEGIN SOLUTION\nIt converts the rows to a float array and averages axis 0.\n"
        "### END SOLUTION",
        metadata=_meta("explain", grade=True, solution=True, points=1),
    ),
]


def main() -> None:
    folder = HERE / "labs" / LAB
    folder.mkdir(parents=True, exist_ok=True)
    notebook = new_notebook(cells=CELLS)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index}"
    nbformat.write(notebook, folder / f"{LAB}.ipynb")
    (folder / "data.csv").write_text("1,2\n3,4\n", encoding="utf-8")


if __name__ == "__main__":
    main()
