"""The class at a glance: counts by status, score statistics, the tests fewest students passed."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tito.grading.reports.common import (
    STATUSES,
    check_tests_known,
    hidden_tests,
    number,
)
from tito.grading.result import GRADER_ERROR, MISSING, SubmissionResult
from tito.grading.sanitize import SOURCE_LIMIT, clean_line

if TYPE_CHECKING:
    from tito.grading.late import LatePolicy
    from tito.grading.similarity import SimilarityReport
    from tito.grading.submissions import Skipped

LOWEST_SHOWN = 5
SKIPPED_SHOWN = 100


def pass_rates(results: Sequence[SubmissionResult], test_names: Sequence[str]) -> dict[str, tuple[int, int]]:
    """For each test, `(passed, ran)`: among the submissions holding a verdict for it (missing ones left
    out, even when the engine lists their tests as failed), how many passed."""
    rates = {name: (0, 0) for name in test_names}
    for result in results:
        if result.status in (MISSING, GRADER_ERROR):
            continue
        for verdict in result.tests:
            passed, ran = rates.get(verdict.name, (0, 0))
            rates[verdict.name] = (passed + verdict.passed, ran + 1)
    return rates


def summary_text(results: Sequence[SubmissionResult], test_names: Sequence[str] | None = None,
                 skipped: Sequence[Skipped] = (), late: LatePolicy | None = None,
                 similarity: SimilarityReport | None = None) -> str:
    """Plain text: how many submissions of each status, mean/median/min/max of the submitted ones' scores
    (the auto-graded points, before any late penalty), the tests with the lowest pass rates (among submissions
    that ran them), how many were late and penalised (`late`), how many pairs look alike (`similarity`), and
    what was found among the submissions but not graded (`skipped`), each with its reason."""
    names = list(test_names) if test_names is not None else list(hidden_tests(results))
    counts = {status: sum(result.status == status for result in results) for status in STATUSES}
    failed_on = sum(result.status == GRADER_ERROR for result in results)
    shown = [*STATUSES, GRADER_ERROR] if failed_on else STATUSES  # the grader's own failures, only when there are any
    counts[GRADER_ERROR] = failed_on
    lines = [f"students: {len(results)} (" + ", ".join(f"{status} {counts[status]}" for status in shown) + ")"]
    submitted = [result for result in results if result.status not in (MISSING, GRADER_ERROR)]
    if submitted:
        scores = [result.score for result in submitted]
        top = max(result.max_score for result in submitted)
        lines.append(
            f"auto-graded score of the {len(scores)} submitted: mean {statistics.mean(scores):.1f}, "
            f"median {number(statistics.median(scores))}, min {number(min(scores))}, "
            f"max {number(max(scores))} (out of {number(top)})"
        )
    else:
        lines.append("no submissions")
    rates = {name: rate for name, rate in pass_rates(results, names).items() if rate[1]}
    if rates:
        lowest = sorted(rates, key=lambda name: (rates[name][0] / rates[name][1], name))[:LOWEST_SHOWN]
        width = max(len(name) for name in lowest)
        lines.append("tests with the lowest pass rates:")
        for name in lowest:
            passed, ran = rates[name]
            lines.append(f"  {name:<{width}}  {passed}/{ran} passed ({100 * passed / ran:.0f}%)")
    if late is not None:
        lines += late_lines(results, late)
    if similarity is not None:
        lines.append(f"similarity: {len(similarity.pairs)} pair(s) at or above {100 * similarity.threshold:.0f}% among "
                     f"{similarity.compared} submission(s) compared (similarity.html; flagged for a human, no grade "
                     "changed)")
    lines += skipped_lines(skipped)
    return "\n".join(lines) + "\n"


def late_lines(results: Sequence[SubmissionResult], late: LatePolicy) -> list[str]:
    """`late: N submission(s) ...` when any was late; nothing otherwise."""
    assessed = [late.assess(result.submitted_at, result.source) for result in results
                if result.status not in (MISSING, GRADER_ERROR)]
    count = sum(lateness.late for lateness in assessed)
    if not count:
        return []
    penalised = sum(lateness.percent > 0 for lateness in assessed)
    policy = f"; penalty applied to {penalised} (policy {late.penalty.text})" if late.penalty else "; no late penalty set"
    return [f"late: {count} submission(s){policy}"]


def _cleaned(text: str) -> str:
    return clean_line(text, SOURCE_LIMIT)


def skipped_lines(skipped: Sequence[Skipped], shown: Callable[[str], str] = _cleaned) -> list[str]:
    """`not graded: N item(s) found ...` and a line per entry (its path and why, each made safe by `shown`: for a
    file by default, `sanitize.for_terminal` for a terminal), at most SKIPPED_SHOWN of them; nothing when nothing
    was skipped."""
    if not skipped:
        return []
    lines = [f"not graded: {len(skipped)} item(s) found among the submissions that are no submission:"]
    lines += [f"  {shown(entry.source[:SOURCE_LIMIT])}: {shown(entry.reason[:SOURCE_LIMIT])}"
              for entry in skipped[:SKIPPED_SHOWN]]
    if len(skipped) > SKIPPED_SHOWN:
        lines.append(f"  ... and {len(skipped) - SKIPPED_SHOWN} more")
    return lines


def summary_figure(results: Sequence[SubmissionResult], test_names: Sequence[str]):
    """A matplotlib Figure (Agg canvas, no pyplot state): the grade histogram on top, and below it the pass
    rate of each test as horizontal bars (suite order, top to bottom, each labelled with its percentage)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    check_tests_known(results, test_names)
    submitted = [result for result in results if result.status not in (MISSING, GRADER_ERROR)]
    bars_height = max(1.5, 0.28 * len(test_names) + 0.8)
    figure = Figure(figsize=(10, 3.2 + bars_height), layout="constrained")
    FigureCanvasAgg(figure)
    histogram, bars = figure.subplots(2, 1, height_ratios=[3.2, bars_height])

    top = max((result.max_score for result in submitted), default=0) or 1
    histogram.hist([result.score for result in submitted], bins=10, range=(0, top), color="#4c72b0", edgecolor="white")
    histogram.set_title(f"Auto-graded scores ({len(submitted)} submitted)")
    histogram.set_xlabel(f"score (out of {number(top)})")
    histogram.set_ylabel("students")
    histogram.set_xlim(0, top)
    histogram.yaxis.set_major_locator(MaxNLocator(integer=True))

    rates = pass_rates(results, test_names)
    percent = [100 * passed / ran if ran else 0.0 for passed, ran in (rates[name] for name in test_names)]
    positions = list(range(len(test_names)))
    drawn = bars.barh(positions, percent, color="#55a868")
    bars.bar_label(drawn, labels=[f"{value:.0f}%" for value in percent], padding=3, fontsize=8)
    bars.set_yticks(positions, labels=list(test_names), fontsize=8)
    bars.invert_yaxis()
    bars.set_xlim(0, 105)
    bars.set_title("Submissions passing each hidden test")
    bars.set_xlabel("passed (%)")
    return figure


def write_summary_png(results: Sequence[SubmissionResult], test_names: Sequence[str], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    summary_figure(results, test_names).savefig(path, dpi=100, metadata={"Software": None})
    return path
