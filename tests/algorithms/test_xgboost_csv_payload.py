"""The fast CSV payload parse gives the same floats and errors as the field-by-field parse."""

from __future__ import annotations

import numpy as np
import pytest

from sandbox.algorithms.xgboost import data

# Forms that either path may meet: signs, points, exponents, overflow, underflow, empty
# fields, spaces, and fields that no float parser accepts.
VALID_FORMS = ["0", "-0", "+0", "+1", "-.5", "+.5", "5.", "1E+05", "-1e-5", "1e500", "-1e500"]
VALID_FORMS += ["1e-400", "", " 1.5", "2.5 ", "00012", "3.4028235677973366e38"]
INVALID_FORMS = [" ", "1e", "-", ".", "1..2", "+-1", "e5", "1-2"]
DELIMITERS = [",", ";", "\t"]


def random_number(rng: np.random.Generator) -> str:
    """Return a decimal of up to 24 digits, some with a point or an exponent."""
    digits = "".join(rng.choice(list("0123456789"), size=int(rng.integers(1, 25))))
    cut = int(rng.integers(0, len(digits) + 1))
    number = f"{digits[:cut]}.{digits[cut:]}" if rng.random() < 0.8 else digits
    if rng.random() < 0.3:
        number += f"e{int(rng.integers(-330, 330))}"
    return f"-{number}" if rng.random() < 0.4 else number


def random_payload(seed: int, forms: list[str]) -> str:
    rng = np.random.default_rng(seed)
    delimiter = DELIMITERS[seed % len(DELIMITERS)]
    columns = int(rng.integers(1, 6))
    rows = [
        [
            random_number(rng) if rng.random() < 0.97 else str(rng.choice(forms))
            for _ in range(columns)
        ]
        for _ in range(1500)
    ]
    return "\n".join(delimiter.join(row) for row in rows)


def field_by_field(text: str, monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    with monkeypatch.context() as patch:
        patch.setattr(data, "_read_rectangular_payload", lambda raw, delimiter: None)
        return data.read_csv_payload(text.encode())


def assert_same_floats(parsed: np.ndarray, expected: np.ndarray) -> None:
    assert parsed.dtype == expected.dtype
    assert parsed.shape == expected.shape
    both_nan = np.isnan(parsed) & np.isnan(expected)
    same_bits = parsed.view(np.uint64) == expected.view(np.uint64)
    differing = np.argwhere(~(both_nan | same_bits))
    assert differing.size == 0, [(parsed[i, j], expected[i, j]) for i, j in differing[:5]]


@pytest.mark.parametrize("seed", range(16))
def test_fast_csv_parse_matches_field_parse(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    text = random_payload(seed, VALID_FORMS)
    assert len(text) >= data.FAST_PAYLOAD_MIN_BYTES
    assert (
        data._read_rectangular_payload(text.encode(), DELIMITERS[seed % len(DELIMITERS)])
        is not None
    )

    assert_same_floats(data.read_csv_payload(text.encode()), field_by_field(text, monkeypatch))


@pytest.mark.parametrize("seed", range(8))
def test_fast_csv_parse_keeps_field_errors(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    text = random_payload(seed, VALID_FORMS + INVALID_FORMS)
    with pytest.raises(ValueError) as expected:
        field_by_field(text, monkeypatch)

    with pytest.raises(ValueError) as raised:
        data.read_csv_payload(text.encode())

    assert str(raised.value) == str(expected.value)
