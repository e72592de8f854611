"""Check a training CSV for the mistakes that break SageMaker's built-in XGBoost.

The algorithm reads CSV without a header and takes the label from column 0. Every
other column is a feature, every cell must be a number, and an empty cell is a missing
value. The checker reports each mistake with the reason and the fix, so it can be
shown to a student as it is.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BOOLEAN_LITERALS = frozenset({"true", "false"})
MISSING_LITERALS = frozenset({"", "nan", "na", "n/a", "null"})

# A column of distinct whole numbers is taken for an identifier only from this many
# rows on: below it, a feature such as mileage can be distinct by chance.
ID_MIN_ROWS = 30
MAX_NAMED_COLUMNS = 5


@dataclass(frozen=True)
class CsvProblem:
    """One mistake found in a training CSV: a short code and a teaching message."""

    code: str
    message: str


@dataclass(frozen=True)
class TrainingCsvSummary:
    """Shape of a training CSV that passed the checks."""

    rows: int
    features: int


class TrainingCsvError(ValueError):
    """A training CSV (or frame) with one or more mistakes, each in `problems`."""

    def __init__(self, problems: list[CsvProblem]) -> None:
        self.problems = problems
        lines = [f"the training CSV has {len(problems)} problem(s):"]
        lines += [f"- [{problem.code}] {problem.message}" for problem in problems]
        super().__init__("\n".join(lines))

    @property
    def codes(self) -> list[str]:
        """Codes of the problems, in the order they were found."""
        return [problem.code for problem in self.problems]


def _read_text(text_or_path: str | os.PathLike[str]) -> str:
    """Return CSV text: a PathLike, or a one-line string naming a file, is read."""
    if isinstance(text_or_path, os.PathLike):
        return Path(text_or_path).read_text(encoding="utf-8")
    if "\n" not in text_or_path and Path(text_or_path).is_file():
        return Path(text_or_path).read_text(encoding="utf-8")
    return text_or_path


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell.strip().lower() not in MISSING_LITERALS


def _classify(cell: str) -> str:
    lowered = cell.strip().lower()
    if lowered in MISSING_LITERALS:
        return "missing"
    if lowered in BOOLEAN_LITERALS:
        return "boolean"
    if _is_number(cell):
        return "number"
    return "text"


def _column_list(columns: list[int], header: list[str] | None) -> str:
    named = [
        f"{index} ({header[index]})" if header and header[index] else str(index)
        for index in columns[:MAX_NAMED_COLUMNS]
    ]
    more = (
        f" and {len(columns) - MAX_NAMED_COLUMNS} more" if len(columns) > MAX_NAMED_COLUMNS else ""
    )
    return ", ".join(named) + more


def check_training_csv(text_or_path: str | os.PathLike[str]) -> TrainingCsvSummary:
    """Check training CSV text, or a file, and return its shape if nothing is wrong.

    Raises TrainingCsvError listing every mistake found: an empty file, rows of
    different lengths, a header row, a label column that is not first (column 0 not
    all 0/1), a DataFrame index or an ID column left in, True/False cells, empty or
    NaN cells, and text cells.
    """
    rows = list(csv.reader(io.StringIO(_read_text(text_or_path))))
    while rows and not rows[-1]:
        rows.pop()
    if not rows:
        raise TrainingCsvError([CsvProblem("empty", "the file has no rows.")])
    shape_problem = _ragged_rows(rows)
    if shape_problem:
        raise TrainingCsvError([shape_problem])

    kinds = np.array([[_classify(cell) for cell in row] for row in rows])
    header = rows[0] if _looks_like_header(rows[0], kinds) else None
    data = rows[1:] if header else rows
    kinds = kinds[1:] if header else kinds
    problems = [_header_problem(header)] if header else []
    if not data:
        raise TrainingCsvError([*problems, CsvProblem("empty", "the file has no data rows.")])

    values = _numbers(data, kinds)
    first_data_line = 2 if header else 1
    problems += _cell_problems(kinds, data, header, first_data_line)
    problems += _label_problems(values, kinds, header, first_data_line)
    problems += _identifier_problems(values, kinds, header)
    if problems:
        raise TrainingCsvError(problems)
    return TrainingCsvSummary(rows=len(data), features=len(data[0]) - 1)


def _ragged_rows(rows: list[list[str]]) -> CsvProblem | None:
    width = len(rows[0])
    for line, row in enumerate(rows, start=1):
        if len(row) != width:
            return CsvProblem(
                "ragged",
                f"line {line} has {len(row)} cells but line 1 has {width}: every row needs "
                "the same columns. Check for commas inside values or a missing cell.",
            )
    return None


def _looks_like_header(first_row: list[str], kinds: np.ndarray) -> bool:
    """Tell whether the first row contains column names rather than data.

    It does when some column has text in the first row and none below it (names over
    numbers), or when it is 0, 1, 2, ... which pandas writes as the header of a frame
    built from a bare array.
    """
    names_over_values = (kinds[0] == "text") & ~(kinds[1:] == "text").any(axis=0)
    if names_over_values.any():
        return True
    if len(first_row) < 3 or (kinds[0] != "number").any():
        return False
    return [float(cell) for cell in first_row] == [float(i) for i in range(len(first_row))]


def _header_problem(header: list[str]) -> CsvProblem:
    names_preview = ",".join(header[:MAX_NAMED_COLUMNS]) + (
        "," if len(header) > MAX_NAMED_COLUMNS else ""
    )
    return CsvProblem(
        "header",
        f"line 1 is a header row ({names_preview}...). SageMaker's XGBoost reads CSV without a "
        "header, so it would parse the names as a data row. Write the file with "
        "header=False.",
    )


def _numbers(data: list[list[str]], kinds: np.ndarray) -> np.ndarray:
    cells = np.array(data, dtype=object)
    cells[kinds != "number"] = "nan"
    return cells.astype(np.float64)


def _first_line(mask: np.ndarray, first_data_line: int) -> int:
    return int(np.flatnonzero(mask.any(axis=1))[0]) + first_data_line


def _cell_problems(
    kinds: np.ndarray, data: list[list[str]], header: list[str] | None, first_data_line: int
) -> list[CsvProblem]:
    problems = []
    booleans = kinds == "boolean"
    if booleans.any():
        columns = _column_list(list(np.flatnonzero(booleans.any(axis=0))), header)
        problems.append(
            CsvProblem(
                "boolean",
                f"columns {columns} contain True/False (first on line "
                f"{_first_line(booleans, first_data_line)}). XGBoost needs numbers: "
                "pandas.get_dummies returns bool columns unless given dtype=int, so convert "
                "them with .astype(int).",
            )
        )
    missing = kinds == "missing"
    if missing.any():
        columns = _column_list(list(np.flatnonzero(missing.any(axis=0))), header)
        problems.append(
            CsvProblem(
                "missing-value",
                f"columns {columns} have {int(missing.sum())} empty or NaN cells (first on line "
                f"{_first_line(missing, first_data_line)}). Fill the gaps before writing, for "
                "example with sagelab.features.impute, so every row has a value.",
            )
        )
    text = kinds == "text"
    if text.any():
        row, column = (int(index) for index in np.argwhere(text)[0])
        problems.append(
            CsvProblem(
                "not-numeric",
                f"column {_column_list([column], header)} contains text such as "
                f"{data[row][column]!r} (line {row + first_data_line}). Encode categories as "
                "numbers first, for example with sagelab.features.encode.",
            )
        )
    return problems


def _label_problems(
    values: np.ndarray, kinds: np.ndarray, header: list[str] | None, first_data_line: int
) -> list[CsvProblem]:
    label = values[:, 0]
    numeric = kinds[:, 0] == "number"
    not_binary = numeric & ~np.isin(label, (0.0, 1.0))
    if not not_binary.any():
        return []
    row = int(np.flatnonzero(not_binary)[0])
    hint = ""
    if header and "OUTCOME" in header:
        hint = f" The header puts OUTCOME in column {header.index('OUTCOME')}."
    return [
        CsvProblem(
            "label-not-first",
            f"column 0 contains {label[row]:g} on line {row + first_data_line}, but the label of "
            "a binary model is 0 or 1. SageMaker's XGBoost takes the label from column 0, so "
            f"move the label column to the front.{hint}",
        )
    ]


def _identifier_problems(
    values: np.ndarray, kinds: np.ndarray, header: list[str] | None
) -> list[CsvProblem]:
    problems = []
    rows = len(values)
    counting = np.arange(rows, dtype=np.float64)
    for column in range(values.shape[1]):
        named = f"column {_column_list([column], header)}"
        cells = values[:, column]
        if header and header[column].strip().upper() == "ID":
            problems.append(_id_problem(f"{named} is the ID column"))
        elif (kinds[:, column] == "number").all() and rows > 1:
            if np.array_equal(cells, counting) or np.array_equal(cells, counting + 1):
                problems.append(
                    CsvProblem(
                        "row-index",
                        f"{named} counts the rows ({cells[0]:g}, {cells[1]:g}, ...): this is the "
                        "DataFrame index, which would train as a feature. Write the file with "
                        "index=False.",
                    )
                )
            elif rows >= ID_MIN_ROWS and _distinct_whole_numbers(cells):
                finding = f"{named} has a different whole number on every row, as an ID column does"
                problems.append(_id_problem(finding))
    return problems


def _distinct_whole_numbers(cells: np.ndarray) -> bool:
    whole = bool(np.all(cells == np.round(cells)))
    return whole and len(np.unique(cells)) == len(cells)


def _id_problem(finding: str) -> CsvProblem:
    return CsvProblem(
        "id-column",
        f"{finding}. An identifier carries no signal, and the model could "
        "memorise rows by it. Drop the ID column before writing, for example with "
        "sagelab.features.drop_id.",
    )
