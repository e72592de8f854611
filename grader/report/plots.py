"""Matplotlib figures of the instructor report, returned as PNG bytes.

Figures are built with ``matplotlib.figure.Figure`` and the Agg canvas, so no pyplot state or
display is involved and the module is safe to call from worker processes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from grader.report.model import SubmissionRecord
from grader.report.stats import PassRate

_DPI = 100


def lab_distributions(lab: str, records: Sequence[SubmissionRecord]) -> bytes:
    """Plot the score histogram (percent) and the grading-time histogram of one lab."""
    percents = [record.percent for record in records if record.percent is not None]
    seconds = [record.seconds for record in records if record.seconds is not None]

    figure = Figure(figsize=(9, 3.2), dpi=_DPI)
    scores_axes, times_axes = figure.subplots(1, 2)
    scores_axes.hist(percents, bins=10, range=(0, 100), color="#4c72b0", edgecolor="white")
    scores_axes.set_title(f"{lab}: score ({len(percents)} graded)")
    scores_axes.set_xlabel("score (% of maximum)")
    scores_axes.set_ylabel("submissions")

    times_axes.hist(seconds, bins=min(20, max(1, len(seconds))), color="#55a868")
    times_axes.set_title(f"{lab}: grading time ({len(seconds)} timed)")
    times_axes.set_xlabel("seconds per submission")
    times_axes.set_ylabel("submissions")
    figure.tight_layout()
    return _png(figure)


def pass_rate_bars(lab: str, rates: Sequence[PassRate]) -> bytes:
    """Plot one horizontal bar per test with its pass rate in percent."""
    colors = {"most_fail": "#c44e52", "all_pass": "#8c8c8c"}
    figure = Figure(figsize=(9, 0.9 + 0.3 * len(rates)), dpi=_DPI)
    axes = figure.subplots()
    labels = [rate.label for rate in rates]
    values = [100 * rate.rate for rate in rates]
    axes.barh(labels, values, color=[colors.get(rate.verdict, "#4c72b0") for rate in rates])
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("submissions passing (%)")
    axes.set_title(f"{lab}: pass rate per test")
    figure.tight_layout()
    return _png(figure)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()
