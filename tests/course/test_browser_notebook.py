"""A student's day in JupyterLab, in headless Chromium: the student configuration of `tito lab`, a locked cell,
Run All on the answered notebook and on the blank one.

Needs Debian's chromium (/usr/bin/chromium) and Python playwright; scripts/install.sh installs both, and the
test is skipped, saying which is missing, where they are not installed.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tito import cells as C
from tito.build.reference_fill import fill_with_reference
from tito.lab import lab_command, lab_environment

MODULE = "tensor"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TOKEN = "browser-test"
START_TIMEOUT = 60.0
RUN_TIMEOUT_MS = 60_000
CHECK_UP_ID = "check-up"
NOTEBOOK = ".jp-NotebookPanel .jp-Notebook"  # the page's only notebook (each page has a fresh workspace)

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sync_playwright is None, reason="Python playwright is not installed: run scripts/install.sh"),
    pytest.mark.skipif(not Path(CHROMIUM).is_file(),
                       reason=f"{CHROMIUM} is missing: install Debian's chromium (scripts/install.sh does, as root)"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(course, tmp_path_factory):
    """JupyterLab as `tito lab` starts it for a student, serving a folder with the blank and the answered
    notebook of the module; yields its base URL and that folder; stopped (with its kernels) at the end."""
    info = course.module(MODULE)
    root = tmp_path_factory.mktemp("lab")
    release = nbformat.read(course.paths.release / info.slug / info.notebook_name, as_version=4)
    source = nbformat.read(course.paths.source / info.slug / info.notebook_name, as_version=4)
    for folder, notebook in (("blank", release), ("answered", fill_with_reference(release, source))):
        (root / folder).mkdir()
        nbformat.write(notebook, root / folder / info.notebook_name)
    private = tmp_path_factory.mktemp("jupyter")  # no settings or workspaces of this machine's user
    env = lab_environment(course, instructor=False)
    env.update(JUPYTER_CONFIG_DIR=str(private / "config"), JUPYTER_RUNTIME_DIR=str(private / "runtime"),
               JUPYTER_DATA_DIR=str(private / "data"))
    port = _free_port()
    extra = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={TOKEN}", f"--LabApp.user_settings_dir={private / 'settings'}",
             f"--LabApp.workspaces_dir={private / 'workspaces'}"]
    if os.geteuid() == 0:
        extra.append("--allow-root")
    log = (private / "lab.log").open("w")
    server = subprocess.Popen(lab_command(root, extra=extra), env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/api/status?token={TOKEN}", server, private / "lab.log")
        yield base, root, info
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT:g} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser, base: str, relative: str):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(RUN_TIMEOUT_MS)
    # a new workspace (they start empty): in the default one JupyterLab would reopen the notebooks of the page before
    page.goto(f"{base}/lab/workspaces/page-{next(_pages)}/tree/{relative}?token={TOKEN}")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Cell")
    assert page.locator(".jp-NotebookPanel").count() == 1
    page.wait_for_function("() => (document.querySelector('#jp-main-statusbar') || {}).textContent?.includes('Idle')")
    return page


_pages = itertools.count()


def _cell(page, index: int):
    return page.locator(f"{NOTEBOOK} .jp-Cell").nth(index)


def _run_all_and_save(page) -> None:
    """Run > Run All Cells, wait until no cell is queued or running, then File > Save."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(
        """(notebook) => {
            const prompts = [...document.querySelectorAll(notebook + ' .jp-InputArea-prompt')]
                .map(p => p.textContent.trim());
            return prompts.some(p => /\\[\\d+\\]/.test(p)) && !prompts.some(p => p.includes('*'));
        }""",
        arg=NOTEBOOK,
        timeout=RUN_TIMEOUT_MS,
    )
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.lm-TabBar-tab.jp-mod-dirty')", timeout=RUN_TIMEOUT_MS)


def _errors(notebook) -> list[tuple[int, str]]:
    return [
        (index, f"{output.ename}: {output.evalue}")
        for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
        for output in cell.get("outputs", []) if output.output_type == "error"
    ]


def _text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


def test_students_see_validate_and_no_instructor_tools(lab, browser):
    """Does the student's JupyterLab show nbgrader's Validate button and none of its instructor tools?"""
    base, _, info = lab
    page = _open(browser, base, f"blank/{info.notebook_name}")
    try:
        assert page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate", exact=True).is_visible()
        menus = page.locator("#jp-menu-panel .lm-MenuBar-itemLabel").all_inner_texts()
        assert "Nbgrader" not in menus, menus
        for route in ("formgrader", "create_assignment", "assignments", "courses"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"{base}/{route}?token={TOKEN}", timeout=5)
            assert refused.value.code == 404, route
    finally:
        page.close()


def test_locked_cell_refuses_an_edit_and_blank_run_all_stops_at_the_first_stub(lab, browser):
    """In the blank notebook, does typing into a locked cell change nothing (while a solution cell takes it),
    and does Run All stop at the first stub, naming it?"""
    base, root, info = lab
    path = root / "blank" / info.notebook_name
    release = nbformat.read(path, as_version=4)
    locked = next(i for i, cell in enumerate(release.cells) if cell.cell_type == "code" and C.is_locked(cell))
    answer = next(i for i, cell in enumerate(release.cells) if cell.cell_type == "code" and C.is_solution(cell))
    stub = re.search(r"raise NotImplementedError\(['\"]([^'\":]+)", release.cells[answer].source)
    assert stub, "the first answer cell has no named stub"
    page = _open(browser, base, f"blank/{info.notebook_name}")
    try:
        for index, typed in ((locked, "x = 'typed into a locked cell'"), (answer, "# typed by the student")):
            editor = _cell(page, index).locator(".cm-content")
            editor.click()
            page.keyboard.press("Control+End")
            page.keyboard.press("Enter")
            page.keyboard.type(typed)
            page.keyboard.press("Escape")
        _run_all_and_save(page)
    finally:
        page.close()
    saved = nbformat.read(path, as_version=4)
    assert saved.cells[locked].source == release.cells[locked].source
    assert saved.cells[answer].source.rstrip().endswith("# typed by the student")
    errors = _errors(saved)
    assert errors, "Run All on the blank notebook raised no error"
    first, message = errors[0]
    assert "NotImplementedError" in message and stub.group(1) in message, message
    ran_after = [i for i, cell in enumerate(saved.cells[first + 1:], first + 1)
                 if cell.cell_type == "code" and cell.get("execution_count")]
    assert not ran_after, f"cells {ran_after} ran after the error in cell {first}"


def test_run_all_on_the_answered_notebook_ends_without_error(lab, browser):
    """Does Run All on the notebook answered with the reference solutions run every cell without an error
    (and, where the notebook ends with the check-up, does it show full marks), and does nbgrader's Validate
    button pass it?"""
    base, root, info = lab
    path = root / "answered" / info.notebook_name
    page = _open(browser, base, f"answered/{info.notebook_name}")
    try:
        _run_all_and_save(page)
        page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate", exact=True).click()
        verdict = page.locator(".jp-Dialog-content")
        verdict.wait_for(timeout=RUN_TIMEOUT_MS)
        page.wait_for_function("() => !document.querySelector('.jp-Dialog-content')?.textContent.includes('Validating')",
                               timeout=RUN_TIMEOUT_MS)
        assert "Success! Your notebook passes all the tests." in verdict.inner_text()
    finally:
        page.close()
    saved = nbformat.read(path, as_version=4)
    assert _errors(saved) == []
    not_run = [i for i, cell in enumerate(saved.cells) if cell.cell_type == "code" and not cell.get("execution_count")]
    assert not_run == [], f"cells {not_run} did not run"
    check_up = [cell for cell in saved.cells if C.grade_id(cell) == CHECK_UP_ID]
    if check_up:
        report = re.sub(r"\x1b\[[0-9;]*m", "", _text(check_up[0]))
        total = re.search(r"Auto-graded: ([\d.]+)/([\d.]+) points", report)
        assert total and total.group(1) == total.group(2), report
        assert "not answered yet" not in report, report
