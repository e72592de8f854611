"""Feature pipeline: imputation, encoding, split, training CSV and the AUC band."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from sklearn.metrics import roc_auc_score

from sagelab.data import DATA_ENV_VAR, DatasetError, generate_claims, load_claims, write_claims_csv
from sagelab.features import (
    FEATURE_NAMES,
    TrainingCsvError,
    check_training_csv,
    drop_id,
    encode,
    fit_imputation,
    impute,
    prepare_all,
    split,
    to_training_csv,
)

NOMINAL_GROUPS = {
    "GENDER": ["GENDER_female", "GENDER_male"],
    "RACE": ["RACE_majority", "RACE_minority"],
    "POSTAL_CODE": [
        "POSTAL_CODE_10238",
        "POSTAL_CODE_21217",
        "POSTAL_CODE_32765",
        "POSTAL_CODE_92101",
    ],
    "VEHICLE_TYPE": ["VEHICLE_TYPE_sedan", "VEHICLE_TYPE_sports_car"],
}


def _tiny_claims() -> pd.DataFrame:
    """Six rows with known gaps, to check the imputed values by hand."""
    frame = generate_claims(rows=6, seed=3)
    frame["INCOME"] = pd.Categorical(
        ["poverty", "poverty", "poverty", "upper class", "upper class", "middle class"],
        categories=frame["INCOME"].cat.categories,
        ordered=True,
    )
    frame["CREDIT_SCORE"] = [0.2, 0.4, np.nan, 0.8, np.nan, np.nan]
    frame["MARRIED"] = [0, 0, 0, 1, 1, 1]
    frame["CHILDREN"] = [0, 0, 0, 1, 1, 1]
    frame["ANNUAL_MILEAGE"] = [10_000.0, np.nan, 14_000.0, 6_000.0, 8_000.0, np.nan]
    return frame


def test_impute_uses_group_medians() -> None:
    imputed = impute(_tiny_claims())
    assert imputed["CREDIT_SCORE"].tolist() == pytest.approx([0.2, 0.4, 0.3, 0.8, 0.8, 0.4])
    assert imputed["ANNUAL_MILEAGE"].tolist() == [10_000, 12_000, 14_000, 6_000, 8_000, 7_000]


def test_unseen_group_gets_overall_median() -> None:
    claims = _tiny_claims()
    # "middle class" has no known credit score, so the overall median 0.4 fills it.
    assert impute(claims)["CREDIT_SCORE"].iloc[5] == pytest.approx(0.4)


def test_imputation_fitted_on_train_only() -> None:
    claims = _tiny_claims()
    fitted = fit_imputation(claims.iloc[:3])
    other = impute(claims.iloc[3:], fitted)
    # Only poverty rows were fitted: every other income falls back to their median 0.3.
    assert other["CREDIT_SCORE"].tolist() == pytest.approx([0.8, 0.3, 0.3])


def test_impute_rejects_column_without_values() -> None:
    claims = _tiny_claims()
    claims["CREDIT_SCORE"] = np.nan
    with pytest.raises(DatasetError) as error:
        impute(claims)
    assert str(error.value) == (
        "column 'CREDIT_SCORE' has no values in the 6 rows used to fit the imputation, so "
        "there is no median to fill its gaps with. Use a file where at least some rows have "
        "a value."
    )


def test_impute_leaves_no_gaps(claims: pd.DataFrame) -> None:
    imputed = impute(claims)
    assert not imputed.isna().any().any()
    known = claims["CREDIT_SCORE"].notna()
    assert (imputed.loc[known, "CREDIT_SCORE"] == claims.loc[known, "CREDIT_SCORE"]).all()


def test_encode_numbers_only(claims: pd.DataFrame) -> None:
    encoded = encode(impute(claims))
    assert list(encoded.columns) == ["OUTCOME", *FEATURE_NAMES]
    assert "ID" not in encoded.columns
    for name in encoded.columns:
        assert encoded[name].dtype in (np.int64, np.float64), name
    assert encoded["CREDIT_SCORE"].dtype == np.float64


def test_encode_ordinal_ranks() -> None:
    frame = generate_claims(rows=400, seed=4)
    encoded = encode(frame)
    expected = {
        "AGE": {"16-25": 0, "26-39": 1, "40-64": 2, "65+": 3},
        "DRIVING_EXPERIENCE": {"0-9y": 0, "10-19y": 1, "20-29y": 2, "30y+": 3},
        "EDUCATION": {"none": 0, "high school": 1, "university": 2},
        "INCOME": {"poverty": 0, "working class": 1, "middle class": 2, "upper class": 3},
        "VEHICLE_YEAR": {"before 2015": 0, "after 2015": 1},
    }
    for name, ranks in expected.items():
        assert encoded[name].tolist() == frame[name].astype(str).map(ranks).tolist(), name


def test_encode_one_hot_integers() -> None:
    frame = generate_claims(rows=400, seed=4)
    encoded = encode(frame)
    for name, columns in NOMINAL_GROUPS.items():
        assert set(np.unique(encoded[columns])) <= {0, 1}, name
        assert (encoded[columns].sum(axis=1) == 1).all(), name
    assert (encoded["VEHICLE_TYPE_sports_car"] == (frame["VEHICLE_TYPE"] == "sports car")).all()
    assert (encoded["POSTAL_CODE_32765"] == (frame["POSTAL_CODE"] == 32765)).all()


def test_encode_accepts_text_columns(small_csv: Path) -> None:
    as_text = pd.read_csv(small_csv, dtype=str)
    pd.testing.assert_frame_equal(encode(as_text), encode(load_claims(small_csv)))


def test_drop_id() -> None:
    frame = generate_claims(rows=5, seed=1)
    assert "ID" not in drop_id(frame).columns
    assert len(drop_id(frame).columns) == 18
    assert list(drop_id(drop_id(frame)).columns) == list(drop_id(frame).columns)


def test_split_shares_and_stratification(claims: pd.DataFrame) -> None:
    train, validation, test = split(claims, seed=2024)

    assert (len(train), len(validation), len(test)) == (7_000, 1_500, 1_500)
    overall = claims["OUTCOME"].mean()
    for part in (train, validation, test):
        assert part["OUTCOME"].mean() == pytest.approx(overall, abs=0.005)
        assert list(part.index) == list(range(len(part)))
    ids = [set(part["ID"]) for part in (train, validation, test)]
    assert not ids[0] & ids[1]
    assert not ids[0] & ids[2]
    assert not ids[1] & ids[2]
    assert set().union(*ids) == set(claims["ID"])


def test_split_seed_decides_rows(claims: pd.DataFrame) -> None:
    first, _, _ = split(claims, seed=1)
    again, _, _ = split(claims, seed=1)
    other, _, _ = split(claims, seed=2)
    assert first["ID"].tolist() == again["ID"].tolist()
    assert first["ID"].tolist() != other["ID"].tolist()


def test_split_needs_both_classes() -> None:
    frame = generate_claims(rows=100, seed=2)
    frame = frame[frame["OUTCOME"] == 0].head(40)
    frame.loc[frame.index[:2], "OUTCOME"] = 1
    with pytest.raises(DatasetError) as error:
        split(frame, seed=1)
    assert str(error.value) == (
        "OUTCOME has 2 rows with the value 1, but a stratified three-way split needs at "
        "least 3 of each class. Use a file with more rows of that class."
    )


def test_split_rejects_bad_fractions(claims: pd.DataFrame) -> None:
    with pytest.raises(ValueError) as error:
        split(claims, seed=1, fractions=(0.8, 0.15, 0.15))
    assert str(error.value) == (
        "fractions must be three positive shares of train, validation and test that add up "
        "to 1, such as (0.7, 0.15, 0.15), got (0.8, 0.15, 0.15)"
    )


def test_training_csv_label_first(claims: pd.DataFrame) -> None:
    prepared = prepare_all(claims, seed=3)
    text = to_training_csv(prepared.validation)
    lines = text.splitlines()

    assert len(lines) == len(prepared.validation)
    assert text.endswith("\n")
    cells = np.array([line.split(",") for line in lines], dtype=np.float64)
    assert cells.shape[1] == 1 + len(FEATURE_NAMES)
    assert set(np.unique(cells[:, 0])) == {0.0, 1.0}
    assert np.array_equal(cells[:, 0], prepared.validation["OUTCOME"].to_numpy())
    assert "True" not in text
    assert "False" not in text
    assert "nan" not in text

    summary = check_training_csv(text)
    assert (summary.rows, summary.features) == (1_500, len(FEATURE_NAMES))


def test_training_csv_moves_label_first() -> None:
    encoded = encode(impute(generate_claims(rows=50, seed=6)))
    reordered = encoded[[*FEATURE_NAMES, "OUTCOME"]]
    assert to_training_csv(reordered) == to_training_csv(encoded)


def test_training_csv_rejects_unprepared_frame(claims: pd.DataFrame) -> None:
    with pytest.raises(TrainingCsvError) as error:
        to_training_csv(claims)
    assert error.value.codes == ["id-column", "not-numeric", "missing-value"]
    assert error.value.problems[2].message == (
        "columns CREDIT_SCORE, ANNUAL_MILEAGE have missing values. Fill them with impute() "
        "before encoding."
    )


def test_training_csv_rejects_booleans() -> None:
    encoded = encode(impute(generate_claims(rows=50, seed=6)))
    encoded["GENDER_male"] = encoded["GENDER_male"].astype(bool)
    with pytest.raises(TrainingCsvError) as error:
        to_training_csv(encoded)
    assert error.value.codes == ["boolean"]
    assert error.value.problems[0].message == (
        "columns GENDER_male are True/False, which XGBoost cannot read. Convert them with "
        ".astype(int)."
    )


def test_prepare_all_shapes(claims: pd.DataFrame) -> None:
    prepared = prepare_all(claims, seed=2024)

    assert prepared.feature_names == list(FEATURE_NAMES)
    assert prepared.seed == 2024
    for part in (prepared.train, prepared.validation, prepared.test):
        assert list(part.columns) == ["OUTCOME", *FEATURE_NAMES]
        assert not part.isna().any().any()
    assert len(prepared.train) == 7_000


def test_prepare_all_uses_train_medians(claims: pd.DataFrame) -> None:
    prepared = prepare_all(claims, seed=2024)
    train, _, _ = split(claims, seed=2024)
    expected = train.groupby("INCOME", observed=True)["CREDIT_SCORE"].median()
    assert prepared.imputation.credit_score.by_group.to_dict() == expected.to_dict()


def test_prepare_all_is_deterministic(claims: pd.DataFrame) -> None:
    first = prepare_all(claims, seed=5)
    second = prepare_all(claims, seed=5)
    assert to_training_csv(first.train) == to_training_csv(second.train)


def test_small_odd_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """300 rows, a higher claim rate, no sports cars and no zip 21217."""
    frame = generate_claims(rows=700, seed=12)
    frame = frame[(frame["VEHICLE_TYPE"] == "sedan") & (frame["POSTAL_CODE"] != 21217)]
    frame = pd.concat(
        [frame[frame["OUTCOME"] == 1].head(150), frame[frame["OUTCOME"] == 0].head(150)]
    )
    assert len(frame) == 300
    path = tmp_path / "odd.csv"
    write_claims_csv(frame.sample(frac=1, random_state=0), path)
    monkeypatch.setenv(DATA_ENV_VAR, str(path))

    prepared = prepare_all(load_claims(), seed=9)

    assert prepared.feature_names == list(FEATURE_NAMES)
    rows = [len(prepared.train), len(prepared.validation), len(prepared.test)]
    assert rows == [210, 45, 45]
    for part in (prepared.train, prepared.validation, prepared.test):
        assert list(part.columns) == ["OUTCOME", *FEATURE_NAMES]
        assert (part["VEHICLE_TYPE_sports_car"] == 0).all()
        assert (part["POSTAL_CODE_21217"] == 0).all()
        assert part["OUTCOME"].mean() == pytest.approx(0.5, abs=0.03)
        check_training_csv(to_training_csv(part))


def test_validation_auc_in_band(claims: pd.DataFrame) -> None:
    prepared = prepare_all(claims, seed=2024)
    train = xgb.DMatrix(prepared.train[prepared.feature_names], label=prepared.train["OUTCOME"])
    validation = xgb.DMatrix(prepared.validation[prepared.feature_names])
    params = {
        "objective": "binary:logistic",
        "max_depth": 4,
        "eta": 0.1,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "min_child_weight": 5,
        "nthread": 1,
        "seed": 0,
    }

    booster = xgb.train(params, train, num_boost_round=100)
    auc = roc_auc_score(prepared.validation["OUTCOME"], booster.predict(validation))

    assert 0.85 <= auc <= 0.92, auc
