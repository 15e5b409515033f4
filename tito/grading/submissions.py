"""Find the submissions in whatever layout an instructor has: nbgrader, a folder, a zip, an LMS export."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from nbgrader.utils import parse_utc

from tito.errors import TitoError
from tito.grading.identity import student_id

DUPLICATES = ("latest", "error")
GRADESCOPE_METADATA = "submission_metadata.yml"
MAX_ZIP_BYTES = 2 * 1024**3
MAX_ZIP_ENTRIES = 100_000
MAX_FILE_BYTES = 50 * 1024**2
MAX_RATIO = 200                     # uncompressed / compressed: a notebook of text compresses 5 to 20 times
MAX_RATIO_FREE_BYTES = 1024**2      # smaller entries are not checked for it
MAX_TIMESTAMP_CHARS = 100
_FORMULA_STARTS = ("=", "+", "-", "@")
_DATE_START = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")
_NUMERIC_TIME = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?P<fraction>\.\d+)?"
                           r" ?(?P<offset>Z|UTC|[+-]\d{2}:?\d{2})?")
# Canvas-style bulk downloads: login[_LATE]_userid_submissionid_filename (the login in any script); Canvas
# writes _LATE when the submission came after its due date
_LMS_NAME = re.compile(r"^(?P<student>[^_]+?)(?P<late>_LATE)?_\d+_\d+_.+$", re.DOTALL)
# Moodle's "Download all submissions": a folder `Full Name_participantid_assignsubmission_file_` per student (or,
# not in folders, that prefix before each file name); Moodle turns `_` in a name into a space. The student id is
# Moodle's own identifier, `Participant <participantid>`, as its grading worksheet writes it.
_MOODLE_NAME = re.compile(r"^(?P<name>[^_]*)_(?P<participant>\d+)_assignsubmission_[a-z]+_(?P<file>.*)$", re.DOTALL)
# Blackboard's "Download assignment": `Assignment_username_attempt_YYYY-MM-DD-HH-MM-SS_filename`, and beside it a
# receipt `Assignment_username_attempt_YYYY-MM-DD-HH-MM-SS.txt`; the time is the attempt's (the server's clock)
_BLACKBOARD_NAME = re.compile(
    r"^(?P<assignment>.*)_(?P<student>[^_]+)_attempt_(?P<date>\d{4}-\d{2}-\d{2})-(?P<hour>\d{2})-(?P<minute>\d{2})"
    r"-(?P<second>\d{2})(?:_(?P<file>.+)|(?P<receipt>\.txt))$", re.DOTALL)
BLACKBOARD_RECEIPT = "Blackboard's submission receipt (the attempt's time is in its name), not a submission"
# entries that are never a submission, and why they are skipped (a hidden name is skipped too: see _skip_reason)
_NOT_SUBMISSIONS = {
    "__MACOSX": "macOS metadata added to a zip, not a submission",
    ".DS_Store": "macOS folder settings, not a submission",
    ".ipynb_checkpoints": "Jupyter's autosaved copies, not a submission",
    "Thumbs.db": "Windows folder thumbnails, not a submission",
    "desktop.ini": "Windows folder settings, not a submission",
}


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path | None          # None: on the roster, nothing submitted; or unusable (see problem)
    source: str = ""           # path relative to the submissions folder, for the report
    submitted_at: str = ""
    name: str = ""
    email: str = ""
    problem: str = ""          # found but unusable, and why: this student's error, the class is still graded
    notes: tuple[str, ...] = ()  # how it was chosen, e.g. which of two files was graded


@dataclass(frozen=True)
class Skipped:
    """Something found among the submissions that is no student's submission, and why."""

    source: str      # path relative to the submissions folder (or inside the zip); a folder ends with "/"
    reason: str


@dataclass(frozen=True)
class FoundClass:
    submissions: list[Submission]   # one per student, sorted by student id
    skipped: list[Skipped]          # everything else that was found, in path order


def find_submissions(location: Path, notebook_name: str, scratch: Path, duplicates: str = "latest") -> list[Submission]:
    """The submissions of `find_class`, without what it skipped."""
    return find_class(location, notebook_name, scratch, duplicates).submissions


def find_class(location: Path, notebook_name: str, scratch: Path, duplicates: str = "latest") -> FoundClass:
    """Every submission under `location`, one per student, and every entry found that is no submission.

    `location` may be a .zip (unpacked into `scratch`), an nbgrader course (or its `submitted/` folder), a
    Gradescope export (with `submission_metadata.yml`), a folder of notebooks or a folder of folders, whose
    names may be those of a Canvas, Moodle or Blackboard download (see `_named`). Each
    student id is `identity.student_id` of the name the layout gives. Nothing found is dropped without a word:
    what is no submission (`__MACOSX/`, `.ipynb_checkpoints/`, a hidden file, a Gradescope folder the metadata
    does not name, a damaged zip entry that belongs to no student) is listed in `skipped` with its reason.

    A damaged input (a zip entry that cannot be unpacked safely, an unreadable timestamp) is its student's
    `problem`; only what belongs to no student stops the run. When a student has several submissions,
    `duplicates="latest"` grades the latest (see `_recency`) and notes the others; `"error"` makes that
    student's submission a problem listing them.
    """
    if duplicates not in DUPLICATES:
        raise TitoError(f"duplicates must be one of {', '.join(DUPLICATES)}, not {duplicates!r}")
    if not location.exists():
        raise TitoError(f"{location} does not exist")
    damaged: list[_Damaged] = []
    unpacked = None
    if location.is_file() and location.suffix.lower() == ".zip":
        unpacked, damaged = _unzip(location, scratch / "unzipped")
        location = unpacked
    if not location.is_dir():
        raise TitoError(f"{location} is neither a folder nor a .zip of submissions")
    skipped: list[Skipped] = []
    root = location if (location / "submitted").is_dir() else _single_top_folder(location, notebook_name, skipped)
    layout = _layout(root, notebook_name, location)
    found = layout.submissions()
    skipped += layout.skipped
    for entry in damaged:
        submissions = _damaged_submission(entry, layout, unpacked)
        if not submissions:
            skipped.append(Skipped("/".join(entry.parts), f"{entry.reason}; it belongs to no student"))
        found += submissions
    by_student: dict[str, list[Submission]] = {}
    for submission in found:
        by_student.setdefault(submission.student, []).append(submission)
    return FoundClass(
        submissions=[_one_per_student(by_student[student], duplicates) for student in sorted(by_student)],
        skipped=sorted(skipped, key=lambda entry: entry.source),
    )


def _layout(root: Path, notebook_name: str, location: Path) -> _Layout:
    if (root / "submitted").is_dir():
        return _NbgraderLayout(root / "submitted", notebook_name, location)
    if (root / GRADESCOPE_METADATA).is_file():
        return _GradescopeLayout(root, notebook_name, location)
    return _FolderLayout(root, notebook_name, location)


def _single_top_folder(folder: Path, notebook_name: str, skipped: list[Skipped]) -> Path:
    """Zips often wrap everything in one folder; look inside it (unless it is one student's folder). What lies
    beside that folder and is no submission (a zip's `__MACOSX/`) is added to `skipped`."""
    entries, beside = [], []
    for entry in sorted(folder.iterdir()):
        reason = _skip_reason(entry.name, entry.is_dir())
        if reason is None:
            entries.append(entry)
        else:
            beside.append(Skipped(_relative(entry, folder) + ("/" if entry.is_dir() else ""), reason))
    if len(entries) == 1 and entries[0].is_dir() and not (entries[0] / notebook_name).is_file():
        skipped += beside
        return entries[0]
    return folder


def _skip_reason(name: str, is_dir: bool) -> str | None:
    """Why an entry of this name is no submission (and nothing in it is), or None."""
    if name in _NOT_SUBMISSIONS:
        return _NOT_SUBMISSIONS[name]
    if name.startswith("._"):
        return "a macOS resource fork (AppleDouble file) beside the real file, not a submission"
    if name.startswith("."):
        kind = "a hidden folder" if is_dir else "a hidden file"
        return f"{kind} (its name starts with a dot); rename it without the dot to have it graded"
    return None


class _Layout:
    """The submissions under `root`, and whose a path under `root` is (the same answer for a damaged zip entry
    as for a good one at that path). What it finds that is no submission goes to `skipped`, with paths
    relative to `location` (the folder given, or the unpacked zip)."""

    def __init__(self, root: Path, notebook_name: str, location: Path):
        self.root = root
        self.notebook_name = notebook_name
        self.location = location
        self.skipped: list[Skipped] = []

    def _skip(self, path: Path, reason: str) -> None:
        self.skipped.append(Skipped(_relative(path, self.location) + ("/" if path.is_dir() else ""), reason))

    def _visible(self, folder: Path) -> list[Path]:
        """The entries of `folder` that may be submissions, sorted; the others are skipped with their reason."""
        entries = []
        for entry in sorted(folder.iterdir()):
            reason = _skip_reason(entry.name, entry.is_dir())
            if reason is None:
                entries.append(entry)
            else:
                self._skip(entry, reason)
        return entries

    def _files(self, folder: Path) -> list[Path]:
        """Every file in a student's folder, sorted, hidden and metadata entries skipped (with their reason)."""
        files = []
        for current, folders, names in os.walk(folder):
            here = Path(current)
            for name in sorted(folders):
                reason = _skip_reason(name, True)
                if reason is not None:
                    self._skip(here / name, reason)
                    folders.remove(name)
            folders.sort()
            for name in sorted(names):
                reason = _skip_reason(name, False)
                if reason is None:
                    files.append(here / name)
                else:
                    self._skip(here / name, reason)
        return sorted(files)

    def _pick(self, folder: Path) -> tuple[Path | None, tuple[str, ...]]:
        """The notebook graded in a student's folder (see `_pick_notebook`), and a note naming the other
        notebooks found there, which are not graded."""
        files = self._files(folder)
        path = _pick_notebook(files, self.notebook_name)
        others = [_relative(other, self.root) for other in files if other != path and other.suffix.lower() == ".ipynb"]
        if not others:
            return path, ()
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        return path, (f"one notebook is graded per student; also found, not graded: {shown}",)

    def submissions(self) -> list[Submission]:
        raise NotImplementedError

    def owner(self, parts: tuple[str, ...]) -> str | None:
        """The student a file at `root / parts` would belong to; None where no submission is looked for."""
        raise NotImplementedError


class _NbgraderLayout(_Layout):
    """nbgrader's submitted/<student>/<assignment>/<notebook>, with the time in a timestamp.txt beside it."""

    def submissions(self) -> list[Submission]:
        found = []
        for student_dir in self._visible(self.root):
            if not student_dir.is_dir():
                self._skip(student_dir, "a file beside the student folders of nbgrader's submitted/, not a submission")
                continue
            assignments = [entry for entry in self._visible(student_dir) if entry.is_dir()]
            notebooks = ([folder / self.notebook_name for folder in assignments if (folder / self.notebook_name).is_file()]
                         or [path for folder in assignments for path in sorted(folder.glob("*.ipynb"))
                             if _skip_reason(path.name, False) is None])
            path = notebooks[0] if notebooks else None
            stamp, problem = _nbgrader_time(path.parent) if path is not None else ("", "")
            found.append(Submission(
                student_id(student_dir.name), path, _relative(path or student_dir, self.root), submitted_at=stamp,
                problem=problem,
            ))
        return found

    def owner(self, parts: tuple[str, ...]) -> str | None:
        if any(_skip_reason(part, True) for part in parts):
            return None
        return student_id(parts[0]) if len(parts) > 1 else None


class _GradescopeLayout(_Layout):
    """A Gradescope export: one folder per submission, named in submission_metadata.yml with its submitters."""

    def __init__(self, root: Path, notebook_name: str, location: Path):
        super().__init__(root, notebook_name, location)
        metadata = _read_gradescope_metadata(root / GRADESCOPE_METADATA)
        self.entries = []
        for folder_name, info in sorted(metadata.items(), key=lambda item: str(item[0])):
            info = info if isinstance(info, dict) else {}
            submitters = info.get(":submitters")
            first = submitters[0] if isinstance(submitters, list) and submitters else {}
            first = first if isinstance(first, dict) else {}
            student = first.get(":sid") or first.get(":email") or folder_name
            self.entries.append((str(folder_name), student_id(str(student)), info, first))
        self.students = {folder_name: student for folder_name, student, _, _ in self.entries}

    def submissions(self) -> list[Submission]:
        found = []
        for folder_name, student, info, first in self.entries:
            folder = self.root / folder_name
            path, notes = self._pick(folder) if folder.is_dir() else (None, ())
            stamp, problem = _checked_time(info.get(":created_at"), f"its :created_at in {GRADESCOPE_METADATA}")
            found.append(Submission(
                student, path, _relative(path or folder, self.root), submitted_at=stamp,
                name=str(first.get(":name", "")), email=str(first.get(":email", "")), problem=problem, notes=notes,
            ))
        for entry in sorted(self.root.iterdir()):
            if entry.name != GRADESCOPE_METADATA and entry.name not in self.students:
                reason = _skip_reason(entry.name, entry.is_dir())
                self._skip(entry, reason or f"not named in {GRADESCOPE_METADATA}, so it is no one's submission")
        return found

    def owner(self, parts: tuple[str, ...]) -> str | None:
        if any(_skip_reason(part, True) for part in parts):
            return None
        return self.students.get(parts[0])


class _FolderLayout(_Layout):
    """A folder of `<student>.ipynb` files or of `<student>/` folders, LMS download names understood (Canvas,
    Moodle, Blackboard: see `_named`)."""

    def submissions(self) -> list[Submission]:
        found = []
        for entry in self._visible(self.root):
            notes: tuple[str, ...] = ()
            named = _named(entry.name, entry.is_dir())
            if named.receipt:
                self._skip(entry, BLACKBOARD_RECEIPT)
                continue
            if entry.is_dir():
                path, notes = self._pick(entry)
            else:
                path = entry
            found.append(Submission(named.student, path, _relative(path or entry, self.root),
                                    submitted_at=named.submitted_at or _mtime(path), name=named.name, notes=notes))
        return found

    def owner(self, parts: tuple[str, ...]) -> str | None:
        if any(_skip_reason(part, True) for part in parts):
            return None
        return _named(parts[0], len(parts) > 1).student


@dataclass(frozen=True)
class _Named:
    """What an entry's name at the top of a folder says: whose it is, and what an LMS wrote into it."""

    student: str
    name: str = ""            # Moodle: the student's full name
    submitted_at: str = ""    # Blackboard: the attempt's time
    receipt: bool = False     # Blackboard: the receipt beside the file


def _named(entry_name: str, is_dir: bool) -> _Named:
    """Whose an entry at the top of a folder is: a Moodle folder or file (`Participant N`, with the full name),
    a Blackboard attempt (the username, with the attempt's time), a Canvas file (the login); else a folder's
    name, or a file's stem (the name before its last extension)."""
    moodle = _MOODLE_NAME.match(entry_name)
    if moodle and (moodle["file"] if not is_dir else not moodle["file"]):
        return _Named(student_id(f"Participant {moodle['participant']}"), name=moodle["name"].strip())
    if is_dir:
        return _Named(student_id(entry_name))
    blackboard = _BLACKBOARD_NAME.match(entry_name)
    if blackboard:
        stamp = f"{blackboard['date']} {blackboard['hour']}:{blackboard['minute']}:{blackboard['second']}"
        return _Named(student_id(blackboard["student"]), submitted_at=stamp if parse_time(stamp) else "",
                      receipt=bool(blackboard["receipt"]))
    canvas = _LMS_NAME.match(entry_name)
    return _Named(student_id(canvas["student"] if canvas else Path(entry_name).stem))


def lms_marked_late(source: str) -> bool:
    """Whether a submission's file (its path relative to the submissions folder) carries Canvas's `_LATE`
    marker: `login_LATE_userid_submissionid_filename` at the top of the folder."""
    parts = source.split("/")
    match = _LMS_NAME.match(parts[0]) if len(parts) == 1 else None
    return bool(match and match["late"])


def _read_gradescope_metadata(path: Path) -> dict:
    try:
        metadata = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, RecursionError, yaml.YAMLError) as error:
        raise TitoError(
            f"cannot read {path} ({_one_line(error)}); it names every student, so nothing was graded"
        ) from None
    if not isinstance(metadata, dict):
        raise TitoError(f"{path} is not a mapping of submission folders; it names every student, so nothing was graded")
    return metadata


def _pick_notebook(files: list[Path], notebook_name: str) -> Path | None:
    """Of the files in a student's folder (sorted): the module's notebook; else the first notebook; else any
    file (reported later)."""
    exact = [path for path in files if path.name == notebook_name]
    notebooks = [path for path in files if path.suffix.lower() == ".ipynb"]
    return next(iter(exact or notebooks or files), None)


def _nbgrader_time(folder: Path) -> tuple[str, str]:
    """(time, problem) from nbgrader's timestamp.txt in `folder`; ("", "") when there is none."""
    path = folder / "timestamp.txt"
    if not path.is_file():
        return "", ""
    try:
        with open(path, "rb") as stamp:
            data = stamp.read(MAX_TIMESTAMP_CHARS + 1)
    except OSError as error:
        return "", f"its timestamp.txt cannot be read ({error.strerror})"
    if len(data) > MAX_TIMESTAMP_CHARS:
        return "", "its timestamp.txt is too long to hold a time"
    try:
        return _checked_time(data.decode("utf-8-sig"), "its timestamp.txt")
    except UnicodeDecodeError:
        return "", "its timestamp.txt is not UTF-8 text"


def _checked_time(value, where: str) -> tuple[str, str]:
    """(time, problem) for a time a layout gives: "" is no time; anything else must read as a date and time."""
    if isinstance(value, dt.date):  # YAML reads an unquoted time as a datetime (or a date)
        return str(value), ""
    if value is None or value == "":
        return "", ""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return "", f"{where} does not hold a time"
    if text[0] in _FORMULA_STARTS:
        return "", f"{where} starts with {text[0]!r}, like a spreadsheet formula, not a time"
    if parse_time(text) is None:
        return "", f"{where} does not hold a time ({text[:40]!r})"
    return text, ""


def parse_time(text: str) -> dt.datetime | None:
    """A time a layout gives, as naive UTC, or None; it must start with a date (YYYY-MM-DD).

    A numeric offset is applied wherever it stands (Gradescope writes `2026-03-01 18:12:55.542236000 -07:00`,
    which nbgrader's `parse_utc` reads as UTC, and `-0700` as 700 seconds); anything else (nbgrader's
    `2026-03-01 18:12:55.542236 America/Los_Angeles`, a naive time taken as UTC) is read as nbgrader reads it."""
    if not _DATE_START.match(text):
        return None
    numeric = _NUMERIC_TIME.fullmatch(text.strip())
    try:
        if numeric:
            fraction = (numeric["fraction"] or "")[:7].ljust(7, "0") if numeric["fraction"] else ""
            offset = numeric["offset"] or "+00:00"
            offset = "+00:00" if offset in ("Z", "UTC") else offset[:3] + ":" + offset[-2:]
            stamp = dt.datetime.fromisoformat(f"{numeric['date']}T{numeric['time']}{fraction}{offset}")
            return (stamp - stamp.utcoffset()).replace(tzinfo=None)
        return parse_utc(text)
    except (ValueError, OverflowError, TypeError, LookupError):
        return None


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


def _one_per_student(found: list[Submission], duplicates: str) -> Submission:
    """A student's submission: their only one, the latest of several, or a problem saying what is wrong."""
    first = next((submission for submission in found if submission.name or submission.email), found[0])
    problems = list(dict.fromkeys(submission.problem for submission in found if submission.problem))
    if problems:
        sources = ", ".join(dict.fromkeys(submission.source for submission in found))
        return replace(first, path=None, source=sources, problem="; ".join(problems))
    if len(found) == 1:
        return first
    ordered = sorted(found, key=_recency)
    latest = ordered[-1]
    if duplicates == "error":
        return replace(latest, path=None, source=", ".join(s.source for s in ordered), problem=(
            f"{len(found)} submissions found ({', '.join(_described(s) for s in ordered)}); "
            "keep one (--duplicates latest grades the latest)"
        ))
    ignored = ", ".join(_described(s) for s in reversed(ordered[:-1]))
    note = f"{len(found)} submissions found: graded {_described(latest)}, ignored {ignored}"
    return replace(latest, notes=latest.notes + (note,))


def _recency(submission: Submission) -> tuple:
    """Sort key, oldest first: with a file before without, a notebook before any other file (an LMS download
    may hold a student's notebook and other files side by side), then by the layout's time, then by file name
    (numbers in it compared as numbers: bob_2 before bob_10)."""
    when = parse_time(submission.submitted_at) if submission.submitted_at else None
    name = tuple((0, piece) if not piece.isdigit() else (1, int(piece))
                 for piece in re.split(r"(\d+)", submission.source) if piece)
    notebook = submission.path is not None and submission.path.suffix.lower() == ".ipynb"
    return submission.path is not None, notebook, when or dt.datetime.min, name


def _described(submission: Submission) -> str:
    return f"{submission.source} ({submission.submitted_at})" if submission.submitted_at else submission.source


# -- zips ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Damaged:
    """A zip entry that was not unpacked, where it would have gone, and why."""
    parts: tuple[str, ...]   # its path inside the unpacked folder, as if it had been unpacked
    reason: str              # names the entry as the zip does


def _unzip(archive: Path, destination: Path) -> tuple[Path, list[_Damaged]]:
    """Unpack what is safe; each entry that is not (see `_refusal`, or damaged, or clashing) is reported.

    An empty file stands in for a damaged entry where it can, so that the folders look as they would have.
    Entry times become file times.
    """
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise TitoError(f"{archive} is not a readable zip ({_one_line(error)}); "
                        "no entry can be given to a student, so nothing was graded") from None
    with bundle:
        infos = bundle.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise TitoError(f"{archive} has {len(infos)} entries; over {MAX_ZIP_ENTRIES} is not unpacked, "
                            "so nothing was graded")
        if sum(info.file_size for info in infos) > MAX_ZIP_BYTES:
            raise TitoError(f"{archive} would unpack to more than {MAX_ZIP_BYTES // 1024**3} GB in all; "
                            "it is not unpacked, so nothing was graded")
        damaged = []
        for info in infos:
            parts = _entry_parts(info.filename)
            if info.is_dir():  # a folder holds nothing itself: a clash shows in the files it holds
                if parts and not _leaves_folder(info.filename):
                    with contextlib.suppress(OSError):
                        destination.joinpath(*parts).mkdir(parents=True, exist_ok=True)
                continue
            if not parts:
                raise TitoError(f"{archive}: the entry {_shown(info.filename)} names no file, so it belongs to "
                                "no student; nothing was graded")
            target = destination.joinpath(*parts)
            reason = _refusal(info) or _extract(bundle, info, target)
            if reason is None:
                continue
            if parts[-1] == GRADESCOPE_METADATA:
                raise TitoError(f"{archive}: {reason}; it names every student, so nothing was graded")
            damaged.append(_Damaged(parts, reason))
            _stand_in(target)
    return destination, damaged


def _entry_parts(name: str) -> tuple[str, ...]:
    """Where an entry would be unpacked if it were safe: its path without "", "." and ".." (as zipfile's own
    extract does)."""
    return tuple(part for part in name.split("/") if part not in ("", ".", ".."))


def _refusal(info: zipfile.ZipInfo) -> str | None:
    """Why an entry is not unpacked at all: it leaves the folder, is a link, or is too big to be a notebook."""
    name = _shown(info.filename)
    if _leaves_folder(info.filename):
        return f"the zip entry {name} points outside its folder; it was not unpacked"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"the zip entry {name} is a symbolic link; it was not unpacked"
    if info.file_size > MAX_FILE_BYTES:
        return (f"the zip entry {name} unpacks to {info.file_size // 1024**2} MB; "
                f"over {MAX_FILE_BYTES // 1024**2} MB is not unpacked")
    if info.file_size > MAX_RATIO_FREE_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return (f"the zip entry {name} is compressed {info.file_size // max(info.compress_size, 1)} to 1, "
                "like a zip bomb; it was not unpacked")
    return None


def _leaves_folder(name: str) -> bool:
    return name.startswith("/") or ".." in name.split("/")


def _extract(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> str | None:
    """Unpack one entry, counting the bytes written and stopping at the declared size; why not, if it fails."""
    name = _shown(info.filename)
    written = 0
    created = False
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with bundle.open(info) as source, open(target, "wb") as sink:
            created = True
            while chunk := source.read(1024**2):
                written += len(chunk)
                if written > min(info.file_size, MAX_FILE_BYTES):
                    raise zipfile.BadZipFile("it holds more than its declared size")
                sink.write(chunk)
    except (IsADirectoryError, NotADirectoryError, FileExistsError):
        return f"the zip entry {name} clashes with another entry (a file and a folder of one name); it was not unpacked"
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError, OSError) as error:
        if created:
            target.unlink(missing_ok=True)
        if isinstance(error, OSError):  # e.g. a name too long for the file system
            return f"the zip entry {name} could not be unpacked ({error.strerror or _one_line(error)})"
        return f"the zip entry {name} is damaged ({_one_line(error)}); it was not unpacked"
    try:
        stamp = dt.datetime(*info.date_time, tzinfo=dt.timezone.utc).timestamp()
        os.utime(target, (stamp, stamp))
    except (ValueError, OverflowError, OSError):
        pass  # an impossible date in the zip: the file keeps the time it was unpacked
    return None


def _stand_in(target: Path) -> None:
    """An empty file where a damaged entry would have been, unless something is already there."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch(exist_ok=False)
    except OSError:
        pass


def _damaged_submission(entry: _Damaged, layout: _Layout, unpacked: Path) -> list[Submission]:
    """The submission a damaged entry makes a problem of: the student it would have belonged to (none when
    it lies where the layout looks for no submission)."""
    root_parts = layout.root.relative_to(unpacked).parts
    if entry.parts[:len(root_parts)] != root_parts or len(entry.parts) == len(root_parts):
        return []
    parts = entry.parts[len(root_parts):]
    student = layout.owner(parts)
    if student is None:
        return []
    return [Submission(student, None, "/".join(parts), problem=entry.reason)]


def _shown(name: str) -> str:
    """A name from a zip or a file, quoted on one line and cut short."""
    return repr(name if len(name) <= 80 else name[:77] + "...")


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:200] or type(error).__name__
