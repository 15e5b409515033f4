"""The sandbox works wherever the grader's Python lives: each layout is built here (hard links, no network)
and a sandbox is opened from it by a script run with that interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy
import pytest

from tito.sandbox.isolation import probe_isolation

ISOLATION = probe_isolation()
pytestmark = pytest.mark.skipif(not ISOLATION.namespaces, reason=f"needs the full sandbox: {ISOLATION.reason}")
REPO = Path(__file__).resolve().parents[2]
NUMPY_SITE = Path(numpy.__file__).resolve().parent.parent
VERSION = f"python{sys.version_info.major}.{sys.version_info.minor}"
SCRIPT = '''
import json, sys
from tito.sandbox.client import Sandbox, SandboxFault
from tito.sandbox.limits import Limits

CODE = """import os, numpy as np
def f(secret, home):
    try:
        __import__("scipy")
        scipy = "imported"
    except ImportError as error:
        scipy = type(error).__name__
    try:
        open(secret).read()
        secret = "read"
    except OSError as error:
        secret = type(error).__name__
    return {"det": float(np.linalg.det(np.diag([2.0, 3.0]))), "scipy": scipy, "secret": secret,
            "home": sorted(os.listdir(home)), "uid": os.getuid(), "numpy": np.__file__}
"""
PACKAGE = {"tinytorch/__init__.py": "", "tinytorch/core/__init__.py": "", "tinytorch/core/probe.py": CODE}
PROBES = "from tinytorch.core.probe import f\\n"
result = {"python": sys.executable}
try:
    box = Sandbox(Limits(call_seconds=10))
    try:
        session = box.session(PACKAGE, PROBES, ["core.probe"])
        result["value"] = session.f(secret=sys.argv[1], home=sys.argv[2])
        session.close()
    finally:
        box.close()
except SandboxFault as fault:
    result["fault"] = str(fault)
print(json.dumps(result))
'''


def run_sandbox(python: Path, secret: Path, home: Path) -> dict:
    done = subprocess.run(
        [str(python), "-c", SCRIPT, str(secret), str(home)], capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def add_numpy(site: Path) -> None:
    """numpy's entries, hard-linked from this environment, and a package named scipy beside them."""
    site.mkdir(parents=True, exist_ok=True)
    names = [entry for entry in NUMPY_SITE.iterdir() if entry.name == "numpy" or entry.name.startswith(("numpy-", "numpy."))]
    subprocess.run(["cp", "-al", *map(str, names), str(site)], check=True)
    (site / "scipy").mkdir()
    (site / "scipy" / "__init__.py").write_text("")


def make_venv(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    add_numpy(folder / "lib" / VERSION / "site-packages")
    return folder / "bin" / "python"


def closed_home(tmp_path: Path) -> Path:
    home = tmp_path / "home700"
    home.mkdir(mode=0o700)
    (home / "SECRET").write_text("the answers")
    return home


def assert_works(result: dict, home: Path, *shown: str) -> None:
    assert "fault" not in result, result
    value = result["value"]
    assert value["det"] == pytest.approx(6.0)
    assert value["scipy"] == "ModuleNotFoundError" and value["secret"] == "FileNotFoundError"
    assert value["home"] == sorted(shown) and value["uid"] != 0
    assert value["numpy"].startswith(f"{home}/")  # this layout's numpy, not the grader's


def test_a_venv_inside_the_checkout(tmp_path):
    """With the venv inside the graded checkout, does the sandbox run and show nothing else of the checkout?"""
    checkout = tmp_path / "course"
    checkout.mkdir()
    (checkout / "SECRET").write_text("the answers")
    python = make_venv(checkout / ".venv")
    assert_works(run_sandbox(python, checkout / "SECRET", checkout), checkout, ".venv")


def test_a_venv_under_a_closed_home(tmp_path):
    """With the venv under a mode-700 home (~/.cache/venvs/x), does the sandbox run, reading it as its own uid?"""
    home = closed_home(tmp_path)
    python = make_venv(home / ".cache" / "venvs" / "x")
    assert_works(run_sandbox(python, home / "SECRET", home), home, ".cache")


def test_a_pipx_venv_under_a_closed_home(tmp_path):
    """With a pipx-style venv (~/.local/pipx/venvs/NAME) in a mode-700 home, does the sandbox run?"""
    home = closed_home(tmp_path)
    python = make_venv(home / ".local" / "pipx" / "venvs" / "tito")
    assert_works(run_sandbox(python, home / "SECRET", home), home, ".local")


def test_a_standalone_interpreter_with_numpy_in_its_own_site_packages(tmp_path):
    """With a pyenv- or conda-style prefix (numpy inside the standard library's site-packages) under a mode-700
    home, does the sandbox run and show numpy but nothing else installed there?"""
    home = closed_home(tmp_path)
    prefix = home / ".pyenv" / "versions" / "copy"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "lib").mkdir()
    stdlib = Path(sysconfig.get_paths(vars={"base": sys.base_prefix})["stdlib"])
    interpreter = Path(sys.base_prefix) / "bin" / VERSION
    subprocess.run(["cp", "-al", str(interpreter), str(prefix / "bin")], check=True)
    (prefix / "lib" / VERSION).mkdir()
    entries = [str(entry) for entry in stdlib.iterdir() if entry.name != "site-packages"]
    subprocess.run(["cp", "-al", *entries, str(prefix / "lib" / VERSION)], check=True)
    add_numpy(prefix / "lib" / VERSION / "site-packages")
    result = run_sandbox(prefix / "bin" / VERSION, home / "SECRET", home)
    assert result["python"].startswith(str(prefix))
    assert_works(result, home, ".pyenv")


def test_an_environment_the_sandbox_uid_cannot_read_is_a_sandbox_fault(tmp_path):
    """With numpy installed readable by root only, is the failure the grader's SandboxFault naming the folder,
    not a submission error?"""
    home = closed_home(tmp_path)
    python = make_venv(home / "venv")
    numpy_copy = home / "venv" / "lib" / VERSION / "site-packages" / "numpy"
    os.chmod(numpy_copy, 0o700)  # the folder is this test's own; its files are hard links, left alone
    result = run_sandbox(python, home / "SECRET", home)
    assert result.get("fault") == f"the sandbox cannot read numpy at {numpy_copy}"
