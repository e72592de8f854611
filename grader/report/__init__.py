"""The instructor report: score distributions, test pass rates, statuses and duplicates.

The grader core fills one ``SubmissionRecord`` per student and lab (see ``model.py``) and
calls ``build_report``.
"""

from grader.report.model import STATUSES, SubmissionRecord, TestRecord
from grader.report.page import build_report

__all__ = ["STATUSES", "SubmissionRecord", "TestRecord", "build_report"]
