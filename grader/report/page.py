"""The instructor report: one static, self-contained HTML page."""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Sequence
from pathlib import Path

from grader.reflection import (
    ClusterMember,
    DuplicateCluster,
    ReflectionConfig,
    cluster_duplicates,
)
from grader.report import plots, stats
from grader.report.model import SubmissionRecord

logger = logging.getLogger(__name__)

REPORT_FILE = "report.html"
_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
td, th { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.most_fail td { background: #fbeaea; } tr.all_pass td { background: #f0f0f0; }
.status-graded { color: #176b2c; } .status-repaired { color: #2a5caa; }
.status-failed, .status-timed_out, .status-kernel_died, .status-tamper_suspect { color: #a11; }
.cluster { border: 1px solid #ccc; padding: .5rem; margin: .5rem 0; }
.member { display: inline-block; margin: .3rem; vertical-align: top; max-width: 20rem; }
.member img { display: block; border: 1px solid #999; }
"""
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_VERDICT_TEXT = {"most_fail": "most students fail", "all_pass": "every student passes"}


def build_report(
    results: Sequence[SubmissionRecord],
    out_dir: Path,
    *,
    clusters: Sequence[DuplicateCluster] | None = None,
    reflection_config: ReflectionConfig | None = None,
    low_pass_rate: float = stats.LOW_PASS_RATE,
    title: str = "Instructor report",
) -> Path:
    """Write ``out_dir/report.html`` and return its path.

    ``clusters`` defaults to ``cluster_duplicates`` over the reflections in ``results``. A test
    is flagged when fewer than ``low_pass_rate`` of the graded submissions pass it, or when
    all of them do. The page embeds its plots and thumbnails and loads nothing else.
    """
    if not 0.0 <= low_pass_rate <= 1.0:
        raise ValueError(f"low_pass_rate must be between 0 and 1, got {low_pass_rate!r}")
    if clusters is None:
        reflections = [record.reflection for record in results if record.reflection is not None]
        clusters = cluster_duplicates(reflections, reflection_config)

    rates = stats.pass_rates(results, low_pass_rate)
    sections = [
        f"<h1>{_esc(title)}</h1>",
        _status_summary(results),
        _distributions(results),
        _pass_rate_section(rates, low_pass_rate),
        _cluster_section(clusters),
        _time_section(results),
        _status_table(results),
    ]

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_FILE
    path.write_text(_page(title, "\n".join(sections)), encoding="utf-8")
    logger.info(
        "report written to %s: %d submissions, %d labs, %d duplicate clusters",
        path,
        len(results),
        len(stats.labs(results)),
        len(clusters),
    )
    return path


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_esc(alt)}">'


def _number(value: float | None, digits: int = 1) -> str:
    text = "-" if value is None else f"{value:.{digits}f}"
    return f'<td class="number">{text}</td>'


def _status_summary(records: Sequence[SubmissionRecord]) -> str:
    statuses = [
        status
        for status in stats.ordered_statuses(records)
        if any(r.status == status for r in records)
    ]
    head = "".join(f"<th>{_esc(status)}</th>" for status in statuses)
    rows = []
    for lab, counts in sorted(stats.status_counts(records).items()):
        cells = "".join(f'<td class="number">{counts.get(status, 0)}</td>' for status in statuses)
        total = f'<td class="number">{counts.total()}</td>'
        rows.append(f"<tr><td>{_esc(lab)}</td>{cells}{total}</tr>")
    return (
        "<h2>Submissions by status</h2>\n"
        f"<table><thead><tr><th>lab</th>{head}<th>total</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _distributions(records: Sequence[SubmissionRecord]) -> str:
    parts = ["<h2>Score distributions and grading time</h2>"]
    for lab in stats.labs(records):
        lab_records = [record for record in records if record.lab == lab]
        png = plots.lab_distributions(lab, lab_records)
        parts.append(f"<h3>{_esc(lab)}</h3>\n{_img(png, f'score and time histograms of {lab}')}")
    return "\n".join(parts)


def _pass_rate_section(rates: Sequence[stats.PassRate], low_pass_rate: float) -> str:
    parts = [
        "<h2>Pass rate per test</h2>",
        f"<p>Flagged: tests fewer than {low_pass_rate:.0%} of graded submissions pass, "
        "and tests every graded submission passes.</p>",
    ]
    for lab in sorted({rate.lab for rate in rates}):
        lab_rates = [rate for rate in rates if rate.lab == lab]
        parts.append(f"<h3>{_esc(lab)}</h3>")
        parts.append(_img(plots.pass_rate_bars(lab, lab_rates), f"pass rate per test of {lab}"))
        rows = [
            f'<tr class="{rate.verdict}"><td>{_esc(rate.label)}</td>'
            f'<td class="number">{rate.passed}/{rate.graded}</td>'
            f"{_number(100 * rate.rate, 0)}<td>{_VERDICT_TEXT.get(rate.verdict, '')}</td></tr>"
            for rate in lab_rates
        ]
        parts.append(
            "<table><thead><tr><th>test</th><th>passed</th><th>%</th><th>flag</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    return "\n".join(parts)


def _cluster_section(clusters: Sequence[DuplicateCluster]) -> str:
    parts = [
        "<h2>Reflection duplicates</h2>",
        "<p>Clusters are for review only. Honest screenshots of the same page look alike.</p>",
    ]
    if not clusters:
        parts.append("<p>No duplicate screenshots or texts were found.</p>")
    for number, cluster in enumerate(clusters, start=1):
        members = "".join(_cluster_member(cluster.kind, member) for member in cluster.members)
        parts.append(
            f'<div class="cluster"><h3>{number}. {_esc(cluster.kind.replace("_", " "))} in '
            f"{_esc(cluster.lab)}: {_esc(', '.join(cluster.students))}</h3>{members}</div>"
        )
    return "\n".join(parts)


def _cluster_member(kind: str, member: ClusterMember) -> str:
    caption = f"{member.student} / {member.cell_name}"
    if kind == "similar_image":
        caption += f" (hash distance {member.score:g})"
    elif kind == "similar_text":
        caption += f" (similarity {member.score:.2f})"
    if member.image is not None:
        body = _img(member.image.thumbnail_png, f"screenshot of {member.student}")
        body += f"<small>{member.image.width}x{member.image.height} {member.image.format}</small>"
    else:
        body = f"<blockquote>{_esc(member.excerpt)} ...</blockquote>"
    return f'<div class="member"><strong>{_esc(caption)}</strong>{body}</div>'


def _time_section(records: Sequence[SubmissionRecord]) -> str:
    rows = [
        f'<tr><td>{_esc(summary.lab)}</td><td class="number">{summary.count}</td>'
        f"{_number(summary.median)}{_number(summary.p90)}{_number(summary.max)}"
        f"{_number(summary.total)}</tr>"
        for summary in stats.time_summaries(records)
    ]
    return (
        "<h2>Time per submission</h2>\n<table><thead><tr><th>lab</th><th>timed</th>"
        "<th>median s</th><th>p90 s</th><th>max s</th><th>total s</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _status_table(records: Sequence[SubmissionRecord]) -> str:
    order = {status: index for index, status in enumerate(stats.ordered_statuses(records))}
    ordered = sorted(records, key=lambda r: (r.lab, order[r.status], r.student))
    rows = [_status_row(record) for record in ordered]
    return (
        "<h2>All submissions</h2>\n<table><thead><tr><th>lab</th><th>student</th>"
        "<th>status</th><th>score</th><th>max</th><th>%</th><th>seconds</th>"
        "<th>reflection</th><th>reason and flags</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _status_row(record: SubmissionRecord) -> str:
    reflection = record.reflection
    reflection_points = (
        "-" if reflection is None else f"{reflection.points:g}/{reflection.max_points:g}"
    )
    notes = [record.reason] if record.reason else []
    if reflection is not None:
        notes.extend(flag.code.value for flag in reflection.all_flags)
    return (
        f"<tr><td>{_esc(record.lab)}</td><td>{_esc(record.student)}</td>"
        f'<td class="status-{_esc(record.status)}">{_esc(record.status)}</td>'
        f"{_number(record.score, 2)}{_number(record.max_score, 2)}{_number(record.percent)}"
        f"{_number(record.seconds)}<td>{reflection_points}</td>"
        f"<td>{_esc('; '.join(notes))}</td></tr>"
    )
