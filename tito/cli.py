"""The `tito` command line: parses arguments, calls the library, prints the result."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from tito.course import Course
from tito.errors import SourceErrors, TitoError
from tito.grading.sanitize import for_terminal

app = typer.Typer(help="Build, test and grade the TinyTorch course.", no_args_is_help=True)
module_app = typer.Typer(help="Work with course modules.", no_args_is_help=True)
app.add_typer(module_app, name="module")
# Piped into a file or another program, output is not wrapped at 80 columns: a line is as long as it needs
# (up to PIPED_WIDTH for tables), unless COLUMNS says otherwise. In a terminal, the terminal's width.
PIPED_WIDTH = 1000


def make_console() -> Console:
    import os
    import sys

    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return Console()
    return Console(width=PIPED_WIDTH, soft_wrap=True)


console = make_console()

_options: dict[str, Optional[Path]] = {"root": None, "workspace": None}


@app.callback()
def _global_options(
    root: Optional[Path] = typer.Option(
        None, "--root", envvar="TITO_ROOT", help="The course checkout (default: found from the current folder)."
    ),
    workspace: Optional[Path] = typer.Option(
        None, "--workspace", envvar="TITO_WORKSPACE", help="Where student notebooks live (default: ROOT/workspace)."
    ),
) -> None:
    _options.update(root=root, workspace=workspace)


def _course() -> Course:
    return Course.load(_options["root"], _options["workspace"])


@module_app.command("list")
def module_list() -> None:
    """List the modules, their titles and points."""
    course = _course()
    table = Table("module", "title", "prerequisites", "auto points", "manual points")
    for info in course.modules:
        table.add_row(
            info.slug, info.title, ", ".join(info.prerequisites) or "-",
            f"{info.auto_points:g}", f"{info.manual_points:g}",
        )
    console.print(table)


@app.command("export")
def export(
    module: Optional[str] = typer.Argument(None, help="Module name, e.g. tensor, 01_tensor or 01."),
    all_modules: bool = typer.Option(False, "--all", help="Export every module."),
) -> None:
    """Write tinytorch/ from the `#| export` cells of the module sources (solutions in)."""
    from tito.package import export_reference

    course = _course()
    for info in course.select(module, all_modules):
        for path, changed in export_reference(course, info):
            state = "written" if changed else "unchanged"
            console.print(f"{info.slug}: {course.relative(path)} ({state})")


@module_app.command("status")
def module_status_command() -> None:
    """Show whether each module's package files and notebooks match its source."""
    from tito.status import module_status

    course = _course()
    table = Table("module", "title", "points", "package (tito export)", "notebooks (tito release)", "workspace")
    for info in course.modules:
        status = module_status(course, info)
        table.add_row(
            info.slug, info.title, f"{info.auto_points:g} + {info.manual_points:g} written",
            _state(status.exported), _state(status.built), "started" if status.started else "-",
        )
    console.print(table)


def _state(text: str) -> str:
    colour = {"up to date": "green", "stale": "yellow", "missing": "red"}[text]
    return f"[{colour}]{text}[/{colour}]"


@app.command("release")
def release(
    module: Optional[str] = typer.Argument(None, help="Module name, e.g. tensor, 01_tensor or 01."),
    all_modules: bool = typer.Option(False, "--all", help="Build every module."),
) -> None:
    """Write source/ (nbgrader source notebook) and release/ (student notebook, public tests, manifest)."""
    from tito.release import release_module

    course = _course()
    for info in course.select(module, all_modules):
        for path, changed in release_module(course, info):
            console.print(f"{info.slug}: {course.relative(path)} ({'written' if changed else 'unchanged'})")


@module_app.command("start")
def module_start(module: str = typer.Argument(..., help="Module name, e.g. optimizers.")) -> None:
    """Copy a module's student notebook into your workspace (never overwrites your work)."""
    from tito.workspace import start_module

    course = _course()
    path, copied = start_module(course, course.module(module))
    if copied:
        console.print(f"Your notebook is ready: {path}")
    else:
        console.print(f"{path} already exists; it was left as it is.")


@module_app.command("complete")
def module_complete(
    module: str = typer.Argument(..., help="Module name, e.g. optimizers."),
    timeout: float = typer.Option(600.0, help="Seconds the tests may run before they are stopped."),
) -> None:
    """Export your notebook into your own package and run the module's tests on it."""
    from tito.checkup import ANSWERED, NOT_ANSWERED, WrittenState, print_report
    from tito.complete import complete_module

    course = _course()
    info = course.module(module)
    report = complete_module(course, info, timeout=timeout)
    _print_checked_notebook(course, info, report)
    for target in report.package.reference_targets:
        console.print(f"  using the reference tinytorch.{target} (you have not completed it yourself)")
    written = [
        WrittenState(answer.grade_id, answer.max_points, ANSWERED if answer.answered else NOT_ANSWERED)
        for answer in report.written
    ]
    print_report(console, report.tests, written, report.problem)
    if not report.all_passed:
        raise typer.Exit(1)


def _print_checked_notebook(course: Course, info, report) -> None:
    """Which notebook was checked, and every other copy with answers saved after it."""
    from tito.workspace import notebook_path

    checked = course.relative(report.notebook)
    console.print(f"Checked {checked}", highlight=False)
    expected = notebook_path(course, info)
    if report.notebook != expected:
        console.print(f"[yellow]{course.relative(expected)} does not exist, so tito checked {checked}, the copy "
                      f"with answers saved last.[/yellow] Copy it to your workspace: cp {checked} {course.relative(expected)}",
                      highlight=False)
    for copy in report.newer_copies:
        other = course.relative(copy.path)
        console.print(f"[yellow]warning:[/yellow] {other} has {copy.answers} answer cell(s) of its own and was saved "
                      f"after {checked} (at {_clock(copy.saved)}, {checked} at {_clock(report.notebook.stat().st_mtime)}). "
                      f"tito checked {checked}; if you worked in {other}, copy it over: cp {other} {checked}",
                      highlight=False)


def _clock(timestamp: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


@app.command(
    "lab",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def lab(
    ctx: typer.Context,
    module: Optional[str] = typer.Argument(None, help="Open this module's notebook in your workspace."),
    instructor: bool = typer.Option(
        False, "--instructor", help="Show nbgrader's instructor tools (Create Assignment, Formgrader) and serve the whole course."
    ),
) -> None:
    """Start JupyterLab on your workspace with nbgrader's Validate button and without its instructor tools.
    Other arguments go to JupyterLab (e.g. --port 8890)."""
    import os

    from tito.lab import lab_command, lab_environment
    from tito.workspace import notebook_path

    extra = list(ctx.args)
    if module is not None and module.startswith("-"):  # a JupyterLab option, not a module
        extra.insert(0, module)
        module = None
    course = _course()
    root_dir = course.paths.root if instructor else course.paths.workspace
    open_path = None
    if module is not None:
        open_path = notebook_path(course, course.module(module))
        if not open_path.exists():
            raise TitoError(f"{course.relative(open_path)} does not exist; run `tito module start {module}` first")
        if not open_path.is_relative_to(root_dir):
            root_dir = open_path.parent
    root_dir.mkdir(parents=True, exist_ok=True)
    command = lab_command(root_dir, open_path, extra)
    console.print(f"JupyterLab ({'instructor' if instructor else 'student'}) on {root_dir}", highlight=False)
    console.file.flush()
    os.execve(command[0], command, lab_environment(course, instructor))


@app.command(
    "test",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def test(
    ctx: typer.Context,
    module: Optional[str] = typer.Option(None, "--module", "-m", help="Module name, e.g. optimizers."),
    all_modules: bool = typer.Option(False, "--all", help="Run the whole test suite."),
) -> None:
    """Run the project's tests for a module (`tito test NAME`) or all of them; other arguments go to pytest."""
    from tito.testing import all_test_paths, module_test_paths, run_pytest

    course = _course()
    extra = list(ctx.args)
    if extra and not extra[0].startswith("-") and not all_modules:
        if module is not None:
            raise TitoError("give the module once, either as an argument or with --module")
        module = extra.pop(0)
    if all_modules and module:
        raise TitoError("give a module name or --all, not both")
    if all_modules:
        paths = all_test_paths(course)
    else:
        paths = module_test_paths(course, course.select(module, False)[0])
    raise typer.Exit(run_pytest(course, paths, extra))


class _GradeGroup(typer.core.TyperGroup):
    """`tito grade MODULE SUBMISSIONS` runs the grader; `tito grade gradescope|manual ...` are subcommands."""

    def parse_args(self, ctx, args):
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)


grade_app = typer.Typer(cls=_GradeGroup, help="Grade a class with a module's hidden suite.", no_args_is_help=True)
app.add_typer(grade_app, name="grade")


@grade_app.command("run")
def grade_run(
    module: str = typer.Argument(..., help="Module name, e.g. optimizers."),
    submissions: Path = typer.Argument(..., help="A folder, an nbgrader course, or a .zip of submissions."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: grades/MODULE)."),
    roster: Optional[Path] = typer.Option(None, "--roster", help="CSV with id, name, email; absent students are listed as missing."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Parallel workers (default: number of cores)."),
    force: bool = typer.Option(False, "--force", help="Start over: delete this folder's earlier outputs and regrade everything."),
    merge: bool = typer.Option(False, "--merge", help="Add these students to the class already graded in --out."),
    duplicates: str = typer.Option("latest", "--duplicates", help="A student with several submissions: grade the latest (by LMS, Gradescope or nbgrader time, else file name order) and note the others (latest), or make that student an error (error)."),
    executor: str = typer.Option("local", "--executor", help="local (process pool) or dask."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address for --executor dask."),
    test_timeout: float = typer.Option(10.0, "--test-timeout", help="Seconds one hidden test may wait on the submission."),
    submission_timeout: float = typer.Option(300.0, "--submission-timeout", help="Seconds one submission may take in all."),
) -> None:
    """Grade every submission: CSV, Gradescope JSON, HTML feedback, nbgrader gradebook and a summary figure."""
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from tito.grading.grade import grade_class
    from tito.grading.reports import summary_text
    from tito.grading.reports.summary import skipped_lines
    from tito.grading.reports.write import BackgroundReports
    from tito.sandbox.isolation import probe_isolation
    from tito.sandbox.limits import Limits

    course = _course()
    info = course.module(module)
    out_dir = out or course.paths.root / "grades" / info.name
    workers = jobs or os.cpu_count() or 1
    limits = Limits(call_seconds=test_timeout, submission_seconds=submission_timeout,
                    cpu_seconds=int(submission_timeout) + 5)
    console.print(probe_isolation().describe(), highlight=False)
    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"),
               TimeRemainingColumn())
    reports: list[BackgroundReports] = []

    def start(total: int, tests: list[tuple[str, float]]) -> None:
        progress.update(task, total=total)
        reports.append(BackgroundReports(out_dir, course=course, module=info, tests=tests))

    def graded(result) -> None:
        reports[0].add(result)  # each student's reports are written while the others are graded
        progress.advance(task)

    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("grading", total=None)
        run = grade_class(
            course, info, submissions, out_dir, roster=roster, workers=workers, force=force, merge=merge,
            duplicates=duplicates, executor=executor, scheduler=scheduler, limits=limits, on_start=start,
            on_result=graded,
        )
    written = reports[0].finish(run.results, run.skipped)
    for line in skipped_lines(run.skipped, shown=for_terminal):  # every file found is graded or said why not
        console.print(line, style="yellow", highlight=False, emoji=False)
    for student, reason in sorted(reports[0].failures.items()):
        console.print(f"[red]reports of {for_terminal(student)} not written:[/red] {for_terminal(reason)}",
                      highlight=False, emoji=False)
    kept = f", kept {run.kept} earlier student(s)" if run.kept else ""
    console.print(f"graded {run.regraded} submission(s), reused {run.reused} unchanged result(s){kept}")
    if run.removed:
        console.print(f"removed {len(run.removed)} student(s) no longer submitted: "
                      + ", ".join(map(for_terminal, run.removed)), highlight=False, emoji=False)
    console.print(summary_text(run.results), highlight=False)
    console.print(f"outputs in {out_dir}: " + ", ".join(sorted({path.relative_to(out_dir).parts[0] for path in written})))
    if run.grader_errors:
        console.print(f"the grader failed on {len(run.grader_errors)} submission(s); they are marked grader-error "
                      "(not graded, no score) and the next run regrades them:", style="bold red")
        for result in run.grader_errors:
            console.print(f"  {for_terminal(result.student)}: {for_terminal(result.problem or '')}",
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

    course = _course()
    info = course.module(module)
    destination = out or course.paths.root / "grades" / f"{info.name}-autograder.zip"
    build_autograder_zip(course, info, destination)
    console.print(f"wrote {destination}")


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

    course = _course()
    info = course.module(module)
    out_dir = out or course.paths.root / "grades" / info.name
    manual = out_dir / "manual"
    if not manual.is_dir():
        raise TitoError(f"{out_dir} has no manual/ folder: run `tito grade {info.name} SUBMISSIONS` first")
    if scores is None:
        for page in sorted(manual.glob("*.html")):
            console.print(f"answers to grade: {page}")
        console.print(f"fill in the scores in {manual / 'scores.csv'} (or use nbgrader's formgrader in {out_dir / 'nbgrader'}), "
                      f"then run: tito grade manual {info.name} --scores {manual / 'scores.csv'}")
        return
    record = apply_manual_scores(out_dir, info, load_manifest(course, info), scores)
    for change in record.changes:
        console.print(for_terminal(describe(change)), highlight=False, emoji=False)
    if record.changes:
        console.print(f"recorded {len(record.changes)} change(s) in {out_dir / 'nbgrader' / 'gradebook.db'}",
                      markup=False, highlight=False)
    else:
        console.print(f"nothing changed: {scores} holds no score or comment that differs from the gradebook",
                      markup=False, highlight=False)
    for student in record.not_rewritten:
        console.print(f"[yellow]no stored result for {for_terminal(student)}: feedback and results not rewritten "
                      "(run `tito grade` again)[/yellow]", highlight=False, emoji=False)
    console.print(f"wrote {record.final_grades}"
                  + (f" and rewrote {len(record.rewritten)} feedback and results file(s)" if record.rewritten else ""),
                  markup=False, highlight=False)


def main() -> None:
    try:
        app()
    except SourceErrors as error:
        console.print(f"[red]malformed module source ({len(error.errors)} problem(s)):[/red]")
        for problem in error.errors:
            console.print(f"  {problem}", markup=False, highlight=False)
        raise SystemExit(2)
    except TitoError as error:
        console.print(f"[red]error:[/red] {for_terminal(str(error), multiline=True)}", highlight=False, emoji=False)
        raise SystemExit(2)


if __name__ == "__main__":
    main()
