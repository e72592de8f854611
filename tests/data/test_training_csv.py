"""check_training_csv: each classic mistake is found and explained."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sagelab.features import (
    TrainingCsvError,
    check_training_csv,
    encode,
    impute,
    prepare_all,
    to_training_csv,
)

INDEX_FIX = (
    "this is the DataFrame index, which would train as a feature. Write the file with index=False."
)
ID_FIX = (
    "An identifier carries no signal, and the model could memorise rows by it. Drop the ID "
    "column before writing, for example with sagelab.features.drop_id."
)


@pytest.fixture(scope="module")
def validation_frame(claims: pd.DataFrame) -> pd.DataFrame:
    return prepare_all(claims, seed=11).validation


def _problems(text: str) -> dict[str, str]:
    with pytest.raises(TrainingCsvError) as error:
        check_training_csv(text)
    return {problem.code: problem.message for problem in error.value.problems}


def test_clean_file_passes(validation_frame: pd.DataFrame, tmp_path: Path) -> None:
    text = to_training_csv(validation_frame)
    path = tmp_path / "validation.csv"
    path.write_text(text)

    for source in (text, path, str(path)):
        summary = check_training_csv(source)
        assert (summary.rows, summary.features) == (1_500, 23)


def test_header_row(validation_frame: pd.DataFrame) -> None:
    problems = _problems(validation_frame.to_csv(index=False))
    assert list(problems) == ["header"]
    assert problems["header"] == (
        "line 1 is a header row (OUTCOME,AGE,GENDER_female,GENDER_male,RACE_majority,...). "
        "SageMaker's XGBoost reads CSV without a header, so it would parse the names as a "
        "data row. Write the file with header=False."
    )


def test_numbered_header_row(validation_frame: pd.DataFrame) -> None:
    bare = pd.DataFrame(validation_frame.to_numpy())
    problems = _problems(bare.to_csv(index=False))
    assert list(problems) == ["header"]
    assert problems["header"].startswith("line 1 is a header row (0,1,2,3,4,...).")


def test_label_not_first(validation_frame: pd.DataFrame) -> None:
    label_last = validation_frame[[*validation_frame.columns[1:], "OUTCOME"]]
    ages = label_last["AGE"].to_numpy()
    row = int((ages > 1).argmax())

    problems = _problems(label_last.to_csv(header=False, index=False))

    assert list(problems) == ["label-not-first"]
    assert problems["label-not-first"] == (
        f"column 0 contains {ages[row]} on line {row + 1}, but the label of a binary model is 0 "
        "or 1. SageMaker's XGBoost takes the label from column 0, so move the label column to "
        "the front."
    )


def test_label_position_named_from_header(claims: pd.DataFrame) -> None:
    problems = _problems(claims.head(50).to_csv(index=False))
    assert problems["label-not-first"].endswith("The header puts OUTCOME in column 18.")


def test_row_index_left_in(validation_frame: pd.DataFrame) -> None:
    problems = _problems(validation_frame.to_csv(header=False))
    assert list(problems) == ["label-not-first", "row-index"]
    assert problems["row-index"] == f"column 0 counts the rows (0, 1, ...): {INDEX_FIX}"
    assert problems["label-not-first"].startswith("column 0 contains 2 on line 3,")


def test_row_index_counting_from_one(validation_frame: pd.DataFrame) -> None:
    numbered = validation_frame.copy()
    numbered.insert(5, "row", range(1, len(numbered) + 1))
    problems = _problems(numbered.to_csv(header=False, index=False))
    assert problems == {"row-index": f"column 5 counts the rows (1, 2, ...): {INDEX_FIX}"}


def test_id_column_left_in(claims: pd.DataFrame) -> None:
    with_id = encode(impute(claims.head(200)))
    with_id.insert(1, "ID", claims["ID"].head(200).to_numpy())
    problems = _problems(with_id.to_csv(header=False, index=False))
    assert problems == {
        "id-column": (
            "column 1 has a different whole number on every row, as an ID column does. " + ID_FIX
        )
    }


def test_id_column_named_in_header(claims: pd.DataFrame) -> None:
    with_id = encode(impute(claims.head(20)))
    with_id.insert(1, "ID", claims["ID"].head(20).to_numpy())
    problems = _problems(with_id.to_csv(index=False))
    assert list(problems) == ["header", "id-column"]
    assert problems["id-column"] == f"column 1 (ID) is the ID column. {ID_FIX}"


def test_shuffled_index_left_in(validation_frame: pd.DataFrame) -> None:
    shuffled = validation_frame.sample(frac=1, random_state=3)
    problems = _problems(shuffled.to_csv(header=False))
    assert "id-column" in problems
    assert problems["id-column"].startswith("column 0 has a different whole number on every row")


def test_true_false_values(validation_frame: pd.DataFrame) -> None:
    with_bools = validation_frame.astype({"GENDER_male": bool, "RACE_minority": bool})
    problems = _problems(with_bools.to_csv(header=False, index=False))
    assert problems == {
        "boolean": (
            "columns 3, 5 contain True/False (first on line 1). XGBoost needs numbers: "
            "pandas.get_dummies returns bool columns unless given dtype=int, so convert them "
            "with .astype(int)."
        )
    }


def test_missing_cells(claims: pd.DataFrame) -> None:
    encoded = encode(claims.head(100))
    gaps = int(encoded[["CREDIT_SCORE", "ANNUAL_MILEAGE"]].isna().sum().sum())
    first_line = int(encoded.isna().any(axis=1).to_numpy().argmax()) + 1
    assert first_line < 40
    lines = encoded.to_csv(header=False, index=False).splitlines()
    lines[39] = lines[39].rsplit(",", 1)[0] + ",NaN"

    problems = _problems("\n".join(lines) + "\n")

    assert list(problems) == ["missing-value"]
    assert problems["missing-value"] == (
        f"columns 9, 18, 23 have {gaps + 1} empty or NaN cells (first on line {first_line}). "
        "Fill the gaps before writing, for example with sagelab.features.impute, so every row "
        "has a value."
    )


def test_text_cells(claims: pd.DataFrame) -> None:
    raw = claims.head(40).drop(columns=["ID"])
    raw = raw[["OUTCOME", *raw.columns.drop("OUTCOME")]].fillna(0)
    problems = _problems(raw.to_csv(header=False, index=False))
    assert list(problems) == ["not-numeric"]
    assert problems["not-numeric"] == (
        f"column 1 contains text such as {str(raw['AGE'].iloc[0])!r} (line 1). Encode categories "
        "as numbers first, for example with sagelab.features.encode."
    )


def test_blank_line_inside_file() -> None:
    problems = _problems("1,2,3\n\n0,4,5\n")
    assert list(problems) == ["ragged"]
    assert problems["ragged"].startswith("line 2 has 0 cells but line 1 has 3:")


def test_ragged_rows() -> None:
    problems = _problems("1,2,3\n0,4\n1,5,6\n")
    assert problems == {
        "ragged": (
            "line 2 has 2 cells but line 1 has 3: every row needs the same columns. Check for "
            "commas inside values or a missing cell."
        )
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {"empty": "the file has no rows."}),
        ("\n\n", {"empty": "the file has no rows."}),
        ("OUTCOME,AGE\n", None),
    ],
)
def test_empty_files(text: str, expected: dict[str, str] | None) -> None:
    problems = _problems(text)
    if expected is None:
        assert list(problems) == ["header", "empty"]
        assert problems["empty"] == "the file has no data rows."
    else:
        assert problems == expected


def test_error_lists_every_problem(claims: pd.DataFrame) -> None:
    with pytest.raises(TrainingCsvError) as error:
        check_training_csv(claims.head(50).to_csv(index=False))
    message = str(error.value)
    assert message.startswith("the training CSV has 5 problem(s):\n- [header] line 1 is a header")
    assert error.value.codes == [
        "header",
        "missing-value",
        "not-numeric",
        "label-not-first",
        "id-column",
    ]
