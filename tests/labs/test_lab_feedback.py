"""Public tests catch the classic mistakes, and their messages name the fix.

Each case runs a lab's solution up to one task in a fresh kernel, then runs that task's
solution cell again with a typical student mistake in place of the solution region, and
runs the task's test cell. The test cell must fail with an AssertionError whose message
contains the expected hint. The correct solution cell is run again before the next case.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import nbformat
import pytest
from lab_helpers import LABS
from nbclient import NotebookClient
from test_lab_format import SOLUTION_BEGIN, SOLUTION_END

CELL_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Mistake:
    """One wrong answer: the solution cell, its wrong regions, the test cell and the hint."""

    name: str
    solution_id: str
    regions: tuple[str, ...]
    test_id: str
    hint: str


def replace_regions(source: str, regions: tuple[str, ...]) -> str:
    """Return `source` with its solution regions replaced, in order, by `regions`."""
    lines, remaining, inside = [], list(regions), False
    for line in source.splitlines():
        if SOLUTION_BEGIN in line:
            indent = line[: len(line) - len(line.lstrip())]
            lines += [indent + text for text in remaining.pop(0).splitlines()]
            inside = True
        elif SOLUTION_END in line:
            inside = False
        elif not inside:
            lines.append(line)
    assert not remaining, "more wrong regions than solution regions"
    return "\n".join(lines)


class LabKernel:
    """A kernel that has run a lab notebook up to some cell, for running more cells."""

    def __init__(self, lab: str) -> None:
        self.notebook = nbformat.read(LABS / lab / f"{lab}.ipynb", as_version=4)
        self.client = NotebookClient(
            self.notebook,
            timeout=CELL_TIMEOUT_SECONDS,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(LABS / lab)}},
        )
        self.position = 0

    def cell(self, grade_id: str) -> nbformat.NotebookNode:
        for cell in self.notebook.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
                return cell
        raise KeyError(f"no cell with grade id {grade_id!r}")

    def between(self, first_id: str, last_id: str) -> list[str]:
        """Return the sources of the code cells strictly between two graded cells."""
        first = self.notebook.cells.index(self.cell(first_id))
        last = self.notebook.cells.index(self.cell(last_id))
        return [
            cell.source
            for cell in self.notebook.cells[first + 1 : last]
            if cell.cell_type == "code"
        ]

    def run_until(self, grade_id: str) -> None:
        """Run every cell not run yet that comes before the cell `grade_id`."""
        target = self.notebook.cells.index(self.cell(grade_id))
        for index in range(self.position, target):
            if self.notebook.cells[index].cell_type == "code":
                error = self._execute(self.notebook.cells[index].source)
                assert error is None, f"cell {index} of the solution failed: {error}"
        self.position = target

    def run(self, source: str) -> tuple[str, str] | None:
        """Run `source` as an extra cell and return its (ename, evalue), or None."""
        return self._execute(source)

    def _execute(self, source: str) -> tuple[str, str] | None:
        cell = nbformat.v4.new_code_cell(source)
        self.client.nb.cells.append(cell)
        try:
            self.client.execute_cell(cell, len(self.client.nb.cells) - 1)
        finally:
            self.client.nb.cells.pop()
        for output in cell.outputs:
            if output.output_type == "error":
                return output.ename, output.evalue
        return None


def kernel_for(lab: str) -> Iterator[LabKernel]:
    kernel = LabKernel(lab)
    with kernel.client.setup_kernel():
        yield kernel


def check_mistakes(kernel: LabKernel, mistakes: list[Mistake]) -> None:
    for mistake in mistakes:
        kernel.run_until(mistake.solution_id)
        solution = kernel.cell(mistake.solution_id).source
        test = kernel.cell(mistake.test_id).source
        wrong = replace_regions(solution, mistake.regions)
        following = kernel.between(mistake.solution_id, mistake.test_id)

        for source in [wrong, *following]:
            assert kernel.run(source) is None, f"{mistake.name}: the wrong solution raised"
        error = kernel.run(test)

        assert error is not None, f"{mistake.name}: the public tests did not catch it"
        assert error[0] == "AssertionError", f"{mistake.name}: {error}"
        assert mistake.hint in error[1], f"{mistake.name}: message {error[1]!r}"
        for source in [solution, *following]:
            assert kernel.run(source) is None, f"{mistake.name}: the solution failed on rerun"


@pytest.fixture(scope="module")
def eda() -> Iterator[LabKernel]:
    yield from kernel_for("01-eda")


@pytest.fixture(scope="module")
def prepare() -> Iterator[LabKernel]:
    yield from kernel_for("02-prepare")


@pytest.fixture(scope="module")
def train() -> Iterator[LabKernel]:
    yield from kernel_for("03-train")


EDA_MISTAKES = [
    Mistake(
        "claims counted instead of a rate",
        "claim-rates",
        (
            'return frame.groupby(column, observed=True)["OUTCOME"].sum()',
            'overall_claim_rate = claims["OUTCOME"].mean()\n'
            'riskiest_age_band = claim_rate_by(claims, "AGE").idxmax()',
        ),
        "test-claim-rates",
        "not the sum",
    ),
    Mistake(
        "highest rate instead of its band",
        "claim-rates",
        (
            'return frame.groupby(column, observed=True)["OUTCOME"].mean()',
            'overall_claim_rate = claims["OUTCOME"].mean()\n'
            'riskiest_age_band = claim_rate_by(claims, "AGE").max()',
        ),
        "test-claim-rates",
        "use idxmax()",
    ),
    Mistake(
        "ordinal bands left out of the correlations",
        "correlations",
        (
            'numeric = claims.drop(columns=["ID"]).select_dtypes("number")\n'
            'outcome_correlation = numeric.corr()["OUTCOME"].drop("OUTCOME")'
            ".sort_values(key=np.abs, ascending=False)",
        ),
        "test-correlations",
        ".cat.codes",
    ),
    Mistake(
        "correlations sorted by signed value",
        "correlations",
        (
            'numeric = claims.drop(columns=["ID"]).copy()\n'
            "for column in ORDINAL_COLUMNS:\n"
            "    numeric[column] = numeric[column].cat.codes\n"
            'numeric = numeric.select_dtypes("number")\n'
            'outcome_correlation = numeric.corr()["OUTCOME"].drop("OUTCOME").sort_values()',
        ),
        "test-correlations",
        "sort_values(key=np.abs",
    ),
]

PREPARE_MISTAKES = [
    Mistake(
        "split without stratify",
        "split",
        (
            "train_raw, rest = train_test_split(claims, train_size=0.70, random_state=SEED)\n"
            "validation_raw, test_raw = train_test_split(rest, test_size=0.50, random_state=SEED)",
        ),
        "test-split",
        "pass stratify=",
    ),
    Mistake(
        "medians learnt from the rows being filled",
        "impute",
        (
            "medians = frame.groupby(group_by, observed=True)[column].transform('median')\n"
            "return frame[column].fillna(medians).fillna(frame[column].median())",
        ),
        "test-impute",
        "the median came from `frame`",
    ),
    Mistake(
        "True/False one-hot columns",
        "encode",
        (
            "columns = {LABEL: frame[LABEL]}\n"
            "for column in frame.columns:\n"
            "    if column in ('ID', LABEL):\n"
            "        continue\n"
            "    if column in ORDINAL_COLUMNS:\n"
            "        columns[column] = frame[column].cat.codes\n"
            "    elif column in NOMINAL_COLUMNS:\n"
            "        for category in frame[column].cat.categories:\n"
            "            columns[f'{column}_{category}'] = frame[column] == category\n"
            "    else:\n"
            "        columns[column] = frame[column]\n"
            "return pd.DataFrame(columns, index=frame.index)",
        ),
        "test-encode",
        "True/False",
    ),
    Mistake(
        "ID column left in",
        "encode",
        (
            "encoded = pd.get_dummies(frame, columns=NOMINAL_COLUMNS, dtype=int)\n"
            "for column in ORDINAL_COLUMNS:\n"
            "    encoded[column] = encoded[column].cat.codes\n"
            "return encoded[[LABEL, *[name for name in encoded.columns if name != LABEL]]]",
        ),
        "test-encode",
        "ID is still there",
    ),
    Mistake(
        "label not first",
        "encode",
        (
            "encoded = pd.get_dummies(frame.drop(columns=['ID']), columns=NOMINAL_COLUMNS, "
            "dtype=int)\n"
            "for column in ORDINAL_COLUMNS:\n"
            "    encoded[column] = encoded[column].cat.codes\n"
            "return encoded",
        ),
        "test-encode",
        "put OUTCOME first",
    ),
    Mistake(
        "header row",
        "to-csv",
        ("return encoded.to_csv(index=False)",),
        "test-csv",
        "header row",
    ),
    Mistake(
        "index column",
        "to-csv",
        ("return encoded.to_csv(header=False)",),
        "test-csv",
        "index=False",
    ),
    Mistake(
        "all parts under one prefix",
        "upload",
        (
            "channel_uris = {}\n"
            "for name, text in csv_texts.items():\n"
            "    s3.put_object(Bucket=session.bucket, Key=f'{PREFIX}/data/{name}.csv', "
            "Body=text.encode())\n"
            "    channel_uris[name] = f's3://{session.bucket}/{PREFIX}/data/'",
        ),
        "test-upload",
        "keep exactly one file per part",
    ),
]

TRAIN_MISTAKES = [
    Mistake(
        "channel named training",
        "request",
        (
            "channel = lambda name, uri: {'ChannelName': name, 'ContentType': 'text/csv', "
            "'DataSource': {'S3DataSource': {'S3DataType': 'S3Prefix', 'S3Uri': uri}}}\n"
            "return {'TrainingJobName': name, 'RoleArn': role_arn, "
            "'AlgorithmSpecification': {'TrainingImage': image, 'TrainingInputMode': 'File'}, "
            "'HyperParameters': hyperparameters, "
            "'InputDataConfig': [channel('training', train_uri), "
            "channel('validation', validation_uri)], "
            "'OutputDataConfig': {'S3OutputPath': output_uri}, "
            "'ResourceConfig': {'InstanceType': 'ml.m5.large', 'InstanceCount': 1, "
            "'VolumeSizeInGB': 5}, 'StoppingCondition': {'MaxRuntimeInSeconds': 900}}",
        ),
        "test-request",
        "looks for 'train' and 'validation'",
    ),
    Mistake(
        "hyperparameters as numbers",
        "request",
        (
            "channel = lambda name, uri: {'ChannelName': name, 'ContentType': 'text/csv', "
            "'DataSource': {'S3DataSource': {'S3DataType': 'S3Prefix', 'S3Uri': uri}}}\n"
            "return {'TrainingJobName': name, 'RoleArn': role_arn, "
            "'AlgorithmSpecification': {'TrainingImage': image, 'TrainingInputMode': 'File'}, "
            "'HyperParameters': {**hyperparameters, 'num_round': 150}, "
            "'InputDataConfig': [channel('train', train_uri), "
            "channel('validation', validation_uri)], "
            "'OutputDataConfig': {'S3OutputPath': output_uri}, "
            "'ResourceConfig': {'InstanceType': 'ml.m5.large', 'InstanceCount': 1, "
            "'VolumeSizeInGB': 5}, 'StoppingCondition': {'MaxRuntimeInSeconds': 900}}",
        ),
        "test-request",
        "are not strings",
    ),
]


@pytest.mark.slow
def test_eda_mistakes_caught(eda: LabKernel) -> None:
    check_mistakes(eda, EDA_MISTAKES)


@pytest.mark.slow
def test_prepare_mistakes_caught(prepare: LabKernel) -> None:
    check_mistakes(prepare, PREPARE_MISTAKES)


@pytest.mark.slow
def test_train_mistakes_caught(train: LabKernel) -> None:
    check_mistakes(train, TRAIN_MISTAKES)
