"""The `tito` command line: parses arguments, calls the library, prints the result."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from tito.course import Course
from tito.errors import SourceErrors, TitoError

app = typer.Typer(help="Build, test and grade the TinyTorch course.", no_args_is_help=True)
module_app = typer.Typer(help="Work with course modules.", no_args_is_help=True)
app.add_typer(module_app, name="module")
console = Console()

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


def main() -> None:
    try:
        app()
    except SourceErrors as error:
        console.print(f"[red]malformed module source ({len(error.errors)} problem(s)):[/red]")
        for problem in error.errors:
            console.print(f"  {problem}", markup=False, highlight=False)
        raise SystemExit(2)
    except TitoError as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        raise SystemExit(2)


if __name__ == "__main__":
    main()
