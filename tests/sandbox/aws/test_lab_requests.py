"""Every AWS request of the lab solutions is valid for botocore's service model.

Each solution notebook runs in a fresh kernel on the local sandbox. A first cell
registers a ``before-parameter-build`` handler on every botocore session the lab
creates; the handler checks each request's parameters with
``botocore.validate.validate_parameters`` against the operation's input shape and
appends the result to a JSON-lines file. The same requests are then known to be
well-formed for AWS.

What this cannot show: how a real account answers them (quotas, IAM permissions,
instance availability, service-side checks outside the model). That part needs an
account and runs only when SAGELAB_BACKEND is ``aws``; see the skipped test below.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.exceptions import ParamValidationError

from sagelab.course import CELL_TIMEOUT_SECONDS, lab_notebooks, run_lab

RECORDER = """\
import json as _json, os as _os
import botocore.session as _botocore_session
from botocore.validate import validate_parameters as _validate
from botocore.exceptions import ParamValidationError as _ParamValidationError

def _record_request(params, model, **kwargs):
    error = None
    try:
        _validate(params, model.input_shape)
    except _ParamValidationError as exception:
        error = str(exception)
    entry = {"service": model.service_model.service_name, "operation": model.name, "error": error}
    with open(_os.environ["SAGELAB_REQUEST_LOG"], "a") as _log:
        _log.write(_json.dumps(entry) + "\\n")

_original_init = _botocore_session.Session.__init__

def _recording_init(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    self.register("before-parameter-build", _record_request, unique_id="sagelab-request-log")

_botocore_session.Session.__init__ = _recording_init
"""


def _labs() -> list[Path]:
    return lab_notebooks()


def _uses_aws(notebook: Path) -> bool:
    source = notebook.read_text()
    return "sandbox.connect" in source or "boto3" in source


def _run_under_nbval(notebook: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    """Execute the notebook with nbval in a fresh kernel that starts with the recorder.

    The recorder is an IPython startup file, so the notebook runs unmodified. nbval runs
    in lax mode because no outputs are committed: every cell must run without an error.
    """
    startup = workdir / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-record-requests.py").write_text(RECORDER)
    environment = {**os.environ, "IPYTHONDIR": str(workdir / "ipython")}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--nbval-lax",
        f"--nbval-cell-timeout={CELL_TIMEOUT_SECONDS}",
        f"--rootdir={workdir}",
        str(notebook),
    ]
    return subprocess.run(
        command, cwd=workdir, env=environment, capture_output=True, text=True, check=False
    )


def test_recorder_reports_invalid_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    request_log = tmp_path / "requests.jsonl"
    monkeypatch.setenv("SAGELAB_REQUEST_LOG", str(request_log))
    monkeypatch.setattr(botocore.session.Session, "__init__", botocore.session.Session.__init__)
    exec(RECORDER, {})
    client = boto3.Session(
        aws_access_key_id="recorder", aws_secret_access_key="recorder", region_name="us-east-1"
    ).client("sagemaker")

    with pytest.raises(ParamValidationError):
        client.describe_training_job(TrainingJobName=5)

    entries = [json.loads(line) for line in request_log.read_text().splitlines()]
    assert [entry["operation"] for entry in entries] == ["DescribeTrainingJob"]
    assert entries[0]["service"] == "sagemaker"
    assert "Invalid type for parameter TrainingJobName, value: 5" in entries[0]["error"]


@pytest.mark.slow
@pytest.mark.parametrize("notebook", _labs(), ids=lambda path: path.parent.name)
def test_lab_runs_under_nbval_with_valid_requests(
    notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request_log = tmp_path / "requests.jsonl"
    request_log.touch()
    monkeypatch.setenv("SAGELAB_REQUEST_LOG", str(request_log))

    result = _run_under_nbval(notebook, tmp_path)

    assert result.returncode == 0, result.stdout[-3000:]
    requests = [json.loads(line) for line in request_log.read_text().splitlines()]
    if _uses_aws(notebook):
        assert requests, f"{notebook.parent.name} made no AWS request"
    invalid = [request for request in requests if request["error"]]
    assert invalid == []


@pytest.mark.skipif(
    os.environ.get("SAGELAB_BACKEND") != "aws",
    reason="needs a real AWS account (SAGELAB_BACKEND=aws, credentials and SAGELAB_ROLE_ARN); "
    "it creates billable jobs and endpoints",
)
@pytest.mark.slow
@pytest.mark.parametrize("notebook", _labs(), ids=lambda path: path.parent.name)
def test_lab_runs_on_real_account(notebook: Path, tmp_path: Path) -> None:
    run = run_lab(notebook, output_dir=tmp_path)

    assert run.status == "passed", run.error
