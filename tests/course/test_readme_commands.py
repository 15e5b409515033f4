"""The README's student commands work as printed, from a fresh shell (nothing on PATH but the system's)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def student_block() -> list[str]:
    """The commands of the first bash block under "## For students", comments removed."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## For students", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.split("#", 1)[0].strip()]


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "activate").exists(), reason="no .venv: run bash bootstrap.sh")
def test_student_commands_run_from_a_fresh_shell(tmp_path):
    commands = student_block()
    assert commands[0] == "source .venv/bin/activate", commands
    # `tito lab` starts a server that does not return: the other commands run as printed
    script = "set -e\n" + "\n".join(
        command + (" || test $? -eq 1" if "module complete" in command else "")  # 1: tests fail on a blank notebook
        for command in commands if not command.startswith("tito lab")
    )
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TITO_WORKSPACE": str(tmp_path / "workspace"),
             "COLUMNS": "100"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "command not found" not in done.stderr
    assert (tmp_path / "workspace" / "03_optimizers" / "optimizers.ipynb").exists(), done.stdout
    assert "tests" in done.stdout.lower(), done.stdout


def test_the_readme_spells_the_grade_command_as_its_help_does():
    """The README's grade commands use the options `tito grade run --help` lists, and `tito grade --help` says
    that `tito grade MODULE SUBMISSIONS` is the short form the README uses."""
    from typer.testing import CliRunner

    from tito.cli import app

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### Grading a class\n\n```bash\n(.*?)```", readme, re.S).group(1)
    runner = CliRunner()
    group = runner.invoke(app, ["grade", "--help"], env={"COLUMNS": "200"})
    assert "tito grade MODULE SUBMISSIONS" in group.output and "tito grade run" in group.output, group.output
    options = {
        "run": runner.invoke(app, ["grade", "run", "--help"], env={"COLUMNS": "200"}).output,
        "manual": runner.invoke(app, ["grade", "manual", "--help"], env={"COLUMNS": "200"}).output,
    }
    for line in block.splitlines():
        command = line.split("#", 1)[0]
        help_text = options["manual"] if "grade manual" in command else options["run"]
        for option in re.findall(r"--[a-z][a-z-]+", command):
            assert option in help_text, f"{option} (README: {line.strip()}) is not an option of that command"
