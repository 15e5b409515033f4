"""`tito grade ...`: grade a class, build a Gradescope zip, record hand grades. Parses and prints only.

The console and the course come from tito.cli, looked up when a command runs (tests swap the console).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Optional

import typer

from tito.errors import TitoError
from tito.grading.sanitize import for_terminal


def _cli():
    """tito.cli, imported when a command runs (it imports this module to register the commands)."""
    import tito.cli

    return tito.cli


class _GradeGroup(typer.core.TyperGroup):
    """`tito grade MODULE SUBMISSIONS` runs the grader; `tito grade gradescope|manual ...` are subcommands."""

    def parse_args(self, ctx, args):
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)


grade_app = typer.Typer(cls=_GradeGroup, help="Grade a class with a module's hidden suite: `tito grade MODULE SUBMISSIONS` is short for `tito grade run MODULE SUBMISSIONS` (see `tito grade run --help` for its options).", no_args_is_help=True)


@grade_app.command("run")
def grade_run(
    module: str = typer.Argument(..., help="Module name, e.g. optimizers."),
    submissions: Path = typer.Argument(..., help="A folder, an nbgrader course, a Gradescope export, or a .zip of submissions (Canvas, Moodle and Blackboard downloads are read as they come)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: grades/MODULE)."),
    roster: Optional[Path] = typer.Option(None, "--roster", help="CSV with an id column (id, student_id, sid, student, or Moodle's Identifier) and optional name, email: students without a submission are missing; submitters it does not list are graded and flagged; an id listed twice is an error."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Parallel workers (default: number of cores)."),
    force: bool = typer.Option(False, "--force", help="Start over: delete this folder's earlier outputs and regrade everything."),
    merge: bool = typer.Option(False, "--merge", help="Add these students to the class already graded in --out."),
    duplicates: str = typer.Option("latest", "--duplicates", help="A student with several submissions: grade the latest (by LMS, Gradescope or nbgrader time, else file name order) and note the others (latest), or make that student an error (error)."),
    executor: str = typer.Option("local", "--executor", help="local (process pool) or dask."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address for --executor dask."),
    test_timeout: float = typer.Option(10.0, "--test-timeout", help="Seconds one hidden test may wait on the submission."),
    submission_timeout: float = typer.Option(300.0, "--submission-timeout", help="Seconds one submission may take in all."),
    due: Optional[str] = typer.Option(None, "--due", help="Due date and time, ISO (2026-03-01T23:59, UTC unless an offset such as -05:00 is given); later submissions are late."),
    late_penalty: Optional[str] = typer.Option(None, "--late-penalty", help="Late policy, a share of the score: 10%/day or 2%/hour (per started day or hour), 25% (once), with ,max=30% or ,cutoff=3d (0 after). Needs --due."),
    similarity_threshold: float = typer.Option(0.8, "--similarity-threshold", help="List pairs of submissions whose code or written answers are at least this alike (0 to 1) in similarity.csv/.html; flags for a human, changes no grade."),
) -> None:
    """Grade every submission: CSV, Gradescope JSON, HTML feedback, nbgrader gradebook, a summary figure and a
    similarity report."""
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from tito.grading.grade import grade_class
    from tito.grading.late import LatePolicy
    from tito.grading.reports import summary_text
    from tito.grading.reports.summary import skipped_lines
    from tito.grading.reports.write import BackgroundReports
    from tito.sandbox.isolation import probe_isolation
    from tito.sandbox.limits import Limits

    course = _cli()._course()
    info = course.module(module)
    out_dir = out or course.paths.root / "grades" / info.name
    late = LatePolicy.from_options(due, late_penalty)
    workers = jobs or os.cpu_count() or 1
    limits = Limits(call_seconds=test_timeout, submission_seconds=submission_timeout,
                    cpu_seconds=int(submission_timeout) + 5)
    _cli().console.print(probe_isolation().describe(), highlight=False)
    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"),
               TimeRemainingColumn())
    reports: list[BackgroundReports] = []

    def start(total: int, tests: list[tuple[str, float]]) -> None:
        progress.update(task, total=total)
        reports.append(BackgroundReports(out_dir, course=course, module=info, tests=tests, late=late))

    def graded(result) -> None:
        reports[0].add(result)  # each student's reports are written while the others are graded
        progress.advance(task)

    with Progress(*columns, console=_cli().console, transient=False) as progress:
        task = progress.add_task("grading", total=None)
        try:
            run = grade_class(
                course, info, submissions, out_dir, roster=roster, workers=workers, force=force, merge=merge,
                duplicates=duplicates, executor=executor, scheduler=scheduler, limits=limits, late=late,
                similarity_threshold=similarity_threshold, on_start=start, on_result=graded,
            )
        except BaseException:
            progress.update(task, visible=False)  # a run that stops says why in one line, with no empty bar
            raise
    written = reports[0].finish(run.results, run.skipped, run.similarity)
    for line in skipped_lines(run.skipped, shown=for_terminal):  # every file found is graded or said why not
        _cli().console.print(line, style="yellow", highlight=False, emoji=False)
    for student, reason in sorted(reports[0].failures.items()):
        _cli().console.print(f"[red]reports of {for_terminal(student)} not written:[/red] {for_terminal(reason)}",
                      highlight=False, emoji=False)
    kept = f", kept {run.kept} earlier student(s)" if run.kept else ""
    _cli().console.print(f"graded {run.regraded} submission(s), reused {run.reused} unchanged result(s){kept}")
    if run.removed:
        _cli().console.print(f"removed {len(run.removed)} student(s) no longer submitted: "
                      + ", ".join(map(for_terminal, run.removed)), highlight=False, emoji=False)
    if run.similarity_problem:
        _cli().console.print(f"[yellow]no similarity report: {for_terminal(run.similarity_problem)}[/yellow]",
                             highlight=False, emoji=False)
    if run.not_on_roster:
        _cli().console.print(f"[yellow]{len(run.not_on_roster)} submitter(s) not on the roster, graded and flagged in "
                             "their feedback:[/yellow] " + ", ".join(map(for_terminal, run.not_on_roster)),
                             highlight=False, emoji=False)
    _cli().console.print(for_terminal(summary_text(run.results, list(dict(run.tests)), late=late,
                                                   similarity=run.similarity).rstrip("\n"), multiline=True),
                         highlight=False, emoji=False)
    _cli().console.print(f"outputs in {out_dir}: " + ", ".join(sorted({path.relative_to(out_dir).parts[0] for path in written})))
    if run.grader_errors:
        _cli().console.print(f"the grader failed on {len(run.grader_errors)} submission(s); they are marked grader-error "
                      "(not graded, no score) and the next run regrades them:", style="bold red")
        for result in run.grader_errors:
            _cli().console.print(f"  {for_terminal(result.student)}: {for_terminal(result.problem or '')}",
                          highlight=False, emoji=False)
        raise typer.Exit(1)


@grade_app.command("gradescope")
def grade_gradescope(
    module: str = typer.Argument(..., help="Module name, e.g. optimizers."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where to write the zip (default: grades/MODULE-autograder.zip)."),
) -> None:
    """Build a Gradescope autograder zip (setup.sh, run_autograder) that runs this module's hidden suite.

    The zip holds tito, the module's suite and release, and the reference package of the module and its
    prerequisites: no module sources, no other module's suite."""
    from tito.grading.reports.gradescope import build_autograder_zip

    course = _cli()._course()
    info = course.module(module)
    destination = out or course.paths.root / "grades" / f"{info.name}-autograder.zip"
    build_autograder_zip(course, info, destination)
    _cli().console.print(f"wrote {destination}")


@grade_app.command("manual")
def grade_manual(
    module: str = typer.Argument(..., help="Module name, e.g. optimizers."),
    out: Optional[Path] = typer.Option(None, "--out", help="The grading run's folder (default: grades/MODULE)."),
    scores: Optional[Path] = typer.Option(
        None, "--scores",
        help="The filled-in manual/scores.csv to record (a score column, and optionally a comment column for the "
             "student); blank cells change nothing.",
    ),
) -> None:
    """Hand grading: show where the written answers are, or merge a TA's scores and comments into the gradebook,
    then write final_grades.csv and rewrite the feedback and results of the students whose grades changed."""
    from tito.grading.manual_scores import apply_manual_scores, describe
    from tito.release import load_manifest

    course = _cli()._course()
    info = course.module(module)
    out_dir = out or course.paths.root / "grades" / info.name
    manual = out_dir / "manual"
    if not manual.is_dir():
        raise TitoError(f"{out_dir} has no manual/ folder: run `tito grade {info.name} SUBMISSIONS` first")
    if scores is None:
        for page in sorted(manual.glob("*.html")):
            _cli().console.print(f"answers to grade: {page}", markup=False, highlight=False)
        command = ["tito", "grade", "manual", info.name, *(["--out", str(out)] if out is not None else []),
                   "--scores", str(manual / "scores.csv")]
        _cli().console.print(f"fill in the scores in {manual / 'scores.csv'} (or use nbgrader's formgrader in "
                             f"{out_dir / 'nbgrader'}), then run: {shlex.join(command)}", markup=False, highlight=False,
                             soft_wrap=True)
        return
    record = apply_manual_scores(out_dir, info, load_manifest(course, info), scores)
    for change in record.changes:
        _cli().console.print(for_terminal(describe(change)), highlight=False, emoji=False)
    if record.changes:
        _cli().console.print(f"recorded {len(record.changes)} change(s) in {out_dir / 'nbgrader' / 'gradebook.db'}",
                      markup=False, highlight=False)
    else:
        _cli().console.print(f"nothing changed: {scores} holds no score or comment that differs from the gradebook",
                      markup=False, highlight=False)
    for student in record.not_rewritten:
        _cli().console.print(f"[yellow]no stored result for {for_terminal(student)}: feedback and results not rewritten "
                      "(run `tito grade` again)[/yellow]", highlight=False, emoji=False)
    _cli().console.print(f"wrote {record.final_grades}"
                  + (f" and rewrote {len(record.rewritten)} feedback and results file(s)" if record.rewritten else ""),
                  markup=False, highlight=False)
