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
    """Show your last score per module, whose code your package uses for it, and whether it is built.

    "package" and "notebooks" say whether the module's package files (`tito export`) and notebooks (`tito
    release`) match its source; "code used" is what `tito module complete` puts into your package for the
    modules built on it.
    """
    from tito.progress import Progress, when
    from tito.status import module_status

    course = _course()
    progress = Progress.load(course)
    table = Table("module", "package", "notebooks", "your notebook", "code used")
    notes = []
    for info in course.modules:
        status = module_status(course, info, progress)
        if status.last is not None:
            yours = f"{status.last.score}, {when(status.last.at, year=False)}"
        else:
            yours = "started" if status.started else "-"
        table.add_row(info.slug, _state(status.exported), _state(status.built), yours,
                      "your code" if status.source.own else "reference")
        if status.source.own and status.last is not None and not status.last.passed:
            notes.append(status.source.line())
    console.print(table)
    for note in notes:
        _print_hanging(note)
    console.print("Later modules use your code for a module once its `tito module complete` passes; "
                  "`tito module reset NAME` goes back to the reference.", highlight=False)


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
    from tito.progress import Progress, code_source
    from tito.workspace import start_module

    course = _course()
    info = course.module(module)
    path, copied = start_module(course, info)
    if copied:
        console.print(f"Your notebook is ready: {course.relative(path)}", highlight=False)
    else:
        console.print(f"{course.relative(path)} already exists; it was left as it is.", highlight=False)
    source = code_source(Progress.load(course), info)
    if source.own:  # e.g. the module's folder was deleted after it passed: the record still holds that code
        console.print(f"Later modules use your {info.name} ({source.why}) until this notebook passes; "
                      f"`tito module reset {info.name}` goes back to the reference.", highlight=False, markup=False)


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
    _print_code_used(report)
    written = [
        WrittenState(answer.grade_id, answer.max_points, ANSWERED if answer.answered else NOT_ANSWERED)
        for answer in report.written
    ]
    print_report(console, report.tests, written, report.problem)
    if not report.all_passed:
        raise typer.Exit(1)


def _print_code_used(report) -> None:
    """Whose code the package used for each module this one builds on, and what this run means for later ones."""
    from tito.complete import module_outcome

    if report.package.sources:
        console.print(f"Code used for the modules {report.module.name} builds on:", highlight=False)
        for source in report.package.sources:
            _print_hanging(source.line())
    console.print(module_outcome(report), highlight=False, markup=False)


def _print_hanging(text: str) -> None:
    """`text` indented two spaces, its wrapped lines four, to the console's width."""
    import textwrap

    console.print(textwrap.fill(text, console.width, initial_indent="  ", subsequent_indent="    "),
                  highlight=False, markup=False)


@module_app.command("reset")
def module_reset(module: str = typer.Argument(..., help="Module name, e.g. tensor.")) -> None:
    """Start a module over from the released notebook, with the reference code in your package.

    Your notebook is moved aside (never deleted) under a name with the time of the reset, the released one is
    copied in, and the modules built on this one use the reference until your notebook passes again.
    """
    from tito.progress import when
    from tito.reset import reset_module

    course = _course()
    info = course.module(module)
    done = reset_module(course, info)
    if done.moved_to is not None:
        console.print(f"Moved your notebook to {course.relative(done.moved_to)}", highlight=False)
    else:
        console.print(f"There was no {course.relative(done.notebook)} to move aside.", highlight=False)
    console.print(f"Copied the released notebook to {course.relative(done.notebook)}", highlight=False)
    console.print(f"Your package uses the reference {info.name} from now on.", highlight=False)
    if done.previous.passed is not None:
        console.print(f"Your code that passed {when(done.previous.passed.attempt.at)} is no longer used; it is "
                      f"kept under set_aside in {course.relative(done.record)}.",
                      highlight=False)


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


from tito.cli_grade import grade_app, grade_gradescope, grade_manual, grade_run  # noqa: E402,F401  (re-exported)

app.add_typer(grade_app, name="grade")


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
    import tito.cli  # run as the importable module, whose options and console tito.cli_grade reads

    tito.cli.main()
