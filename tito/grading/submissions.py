"""Find the submissions in whatever layout an instructor has: nbgrader, a folder, a zip, an LMS export."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from tito.errors import TitoError

MAX_ZIP_BYTES = 2 * 1024**3
MAX_FILE_BYTES = 50 * 1024**2
_SAFE_ID = re.compile(r"[^A-Za-z0-9._@-]+")
# Canvas-style bulk downloads: login[_LATE]_userid_submissionid_filename
_LMS_NAME = re.compile(r"^(?P<student>[A-Za-z0-9.@-]+?)(?:_LATE)?_\d+_\d+_.+$")
_IGNORED = {".DS_Store", "__MACOSX", ".ipynb_checkpoints", "submission_metadata.yml"}


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path | None          # None: on the roster, nothing submitted
    source: str = ""           # path relative to the submissions folder, for the report
    submitted_at: str = ""
    name: str = ""
    email: str = ""


def safe_id(raw: str) -> str:
    cleaned = _SAFE_ID.sub("_", raw.strip()).strip("._") or "unnamed"
    return cleaned[:100]


def find_submissions(location: Path, notebook_name: str, scratch: Path) -> list[Submission]:
    """Every submission under `location`, one per student, sorted by student id.

    `location` may be a .zip (unpacked into `scratch`), an nbgrader course (or its `submitted/` folder), a
    Gradescope export (with `submission_metadata.yml`), a folder of notebooks or a folder of folders.
    """
    if not location.exists():
        raise TitoError(f"{location} does not exist")
    if location.is_file() and location.suffix.lower() == ".zip":
        location = _unzip(location, scratch / "unzipped")
    if not location.is_dir():
        raise TitoError(f"{location} is neither a folder nor a .zip of submissions")
    root = location if (location / "submitted").is_dir() else _single_top_folder(location, notebook_name)
    if (root / "submitted").is_dir():
        root = root / "submitted"
        found = _nbgrader_layout(root, notebook_name)
    elif (root / "submission_metadata.yml").is_file():
        found = _gradescope_layout(root, notebook_name)
    else:
        found = _folder_layout(root, notebook_name)
    by_student: dict[str, Submission] = {}
    for submission in found:
        if submission.student in by_student:
            raise TitoError(
                f"two submissions for student {submission.student!r}: {by_student[submission.student].source} "
                f"and {submission.source}"
            )
        by_student[submission.student] = submission
    return [by_student[student] for student in sorted(by_student)]


def _single_top_folder(folder: Path, notebook_name: str) -> Path:
    """Zips often wrap everything in one folder; look inside it (unless it is one student's folder)."""
    entries = [entry for entry in folder.iterdir() if entry.name not in _IGNORED]
    if len(entries) == 1 and entries[0].is_dir() and not (entries[0] / notebook_name).is_file():
        return entries[0]
    return folder


def _nbgrader_layout(submitted: Path, notebook_name: str) -> list[Submission]:
    found = []
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
        notebooks = sorted(student_dir.glob(f"*/{notebook_name}")) or sorted(student_dir.glob("*/*.ipynb"))
        path = notebooks[0] if notebooks else None
        stamp = ""
        if path is not None and (path.parent / "timestamp.txt").is_file():
            stamp = (path.parent / "timestamp.txt").read_text().strip()
        found.append(Submission(
            safe_id(student_dir.name), path, _relative(path or student_dir, submitted), submitted_at=stamp
        ))
    return found


def _gradescope_layout(root: Path, notebook_name: str) -> list[Submission]:
    metadata = yaml.safe_load((root / "submission_metadata.yml").read_text()) or {}
    found = []
    for folder_name, info in sorted(metadata.items()):
        submitters = (info or {}).get(":submitters") or [{}]
        first = submitters[0]
        student = first.get(":sid") or first.get(":email") or folder_name
        folder = root / folder_name
        path = _pick_notebook(folder, notebook_name) if folder.is_dir() else None
        found.append(Submission(
            safe_id(str(student)), path, _relative(path or folder, root),
            submitted_at=str((info or {}).get(":created_at", "")),
            name=str(first.get(":name", "")), email=str(first.get(":email", "")),
        ))
    return found


def _folder_layout(root: Path, notebook_name: str) -> list[Submission]:
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name in _IGNORED or entry.name.startswith("."):
            continue
        if entry.is_dir():
            path = _pick_notebook(entry, notebook_name)
            student = entry.name
        else:
            path = entry
            match = _LMS_NAME.match(entry.name)
            student = match["student"] if match else entry.stem
        found.append(Submission(safe_id(student), path, _relative(path or entry, root), submitted_at=_mtime(path)))
    return found


def _pick_notebook(folder: Path, notebook_name: str) -> Path | None:
    """The module's notebook in a student's folder; else the only notebook; else any file (reported later)."""
    exact = sorted(folder.rglob(notebook_name))
    if exact:
        return exact[0]
    notebooks = [p for p in sorted(folder.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
    if notebooks:
        return notebooks[0]
    files = [p for p in sorted(folder.rglob("*")) if p.is_file()]
    return files[0] if files else None


def _mtime(path: Path | None) -> str:
    if path is None or not path.exists():
        return ""
    stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.timezone.utc)
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _unzip(archive: Path, destination: Path) -> Path:
    """Unpack safely: no absolute paths or `..`, no links, bounded sizes; entry times become file times."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    try:
        bundle = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as error:
        raise TitoError(f"{archive} is not a readable zip: {error}") from None
    with bundle:
        total = 0
        for info in bundle.infolist():
            name = info.filename
            if name.startswith("/") or ".." in Path(name).parts or stat.S_ISLNK(info.external_attr >> 16):
                raise TitoError(f"{archive}: refusing the unsafe entry {name!r}")
            total += info.file_size
            if info.file_size > MAX_FILE_BYTES or total > MAX_ZIP_BYTES:
                raise TitoError(f"{archive}: {name!r} makes the archive too large to grade")
            if info.is_dir():
                continue
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(info) as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink)
            stamp = dt.datetime(*info.date_time, tzinfo=dt.timezone.utc).timestamp()
            os.utime(target, (stamp, stamp))
    return destination


def read_roster(path: Path) -> list[dict]:
    """A roster CSV with an id column (`id`, `student_id`, `sid` or `student`) and optional name and email."""
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except OSError as error:
        raise TitoError(f"cannot read the roster {path}: {error}") from None
    if not rows:
        raise TitoError(f"the roster {path} has no rows")
    headers = {header.strip().lower(): header for header in rows[0]}
    id_column = next((headers[key] for key in ("id", "student_id", "sid", "student") if key in headers), None)
    if id_column is None:
        raise TitoError(f"the roster {path} needs an id column (id, student_id, sid or student)")
    roster = []
    for number, row in enumerate(rows, start=2):
        student = (row.get(id_column) or "").strip()
        if not student:
            raise TitoError(f"{path}:{number}: empty student id")
        roster.append({
            "student": safe_id(student),
            "name": (row.get(headers.get("name", ""), "") or "").strip(),
            "email": (row.get(headers.get("email", ""), "") or "").strip(),
        })
    return roster


def apply_roster(submissions: list[Submission], roster: list[dict]) -> list[Submission]:
    """Add names and emails; a roster student without a submission becomes a missing submission."""
    by_student = {submission.student: submission for submission in submissions}
    for entry in roster:
        found = by_student.get(entry["student"])
        if found is None:
            by_student[entry["student"]] = Submission(entry["student"], None, name=entry["name"], email=entry["email"])
        else:
            by_student[entry["student"]] = Submission(
                found.student, found.path, found.source, found.submitted_at,
                entry["name"] or found.name, entry["email"] or found.email,
            )
    return [by_student[student] for student in sorted(by_student)]
