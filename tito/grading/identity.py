"""Who a submission belongs to, and the file name that stands for them on disk.

A student id is the name the submission came with (a folder, a file name, an LMS login, a Gradescope :sid or
:email, an nbgrader student folder, a roster row), kept as written (`student_id`):

- any Unicode letters, normalised to NFC, so that "José" is one student whichever normal form a file system or
  a zip used;
- control characters removed (C0, DEL, C1, the bidirectional controls, the line and paragraph separators) and
  surrounding whitespace stripped: a name that differs from another only by these is the same name, and the
  two files are duplicates of one student (the `duplicates` policy of `find_submissions` decides);
- bytes a file system gave that are not UTF-8 shown as `\\xNN` (never one replacement character for all);
- at most `MAX_ID_CHARS` characters: a longer name keeps its first characters and gets `-` and a short hash of
  the whole name, so that two long names sharing a prefix stay two students.

Nothing else is changed: two different names are never made one id.

The id is what every report shows (grades.csv, feedback, results, the gradebook's names). Where an id names a
file or a folder (results/, feedback/, .cache/, nbgrader's autograded/ and its student ids) `file_name` is used:
the id itself when it is plain lowercase ASCII (so ids such as `alice` or `a100` keep their files), else a
readable part of it and `-` and 8 hex digits of a hash of the id (`Ann-<hash>`, `张伟-<hash>`). A kept name
never ends like a suffixed one, so the file names of two different ids differ, also on a file system that
ignores case or normalises Unicode, and no file name is over `FILE_NAME_BYTES` bytes of UTF-8, starts with a
dot, holds a character a file system refuses, or is a name Windows reserves.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from tito.grading.sanitize import LINE_LIMIT

MAX_ID_CHARS = LINE_LIMIT   # so that cleaning a result (sanitize.clean_line) never cuts an id again
FILE_NAME_BYTES = 100       # UTF-8 bytes of a file name's stem; extensions and folders have room to spare
HASH_CHARS = 8
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_CONTROLS = {code: None for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI, 0x2028, 0x2029]}
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")          # what os.fsdecode makes of a byte that is not UTF-8
_SURROGATE = re.compile("[\ud800-\udfff]")
_KEPT = re.compile(r"[a-z0-9_@-][a-z0-9._@-]*")          # file names taken as they are: lowercase ASCII
_SUFFIXED = re.compile(rf"-[0-9a-f]{{{HASH_CHARS}}}$")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
_FILE_PUNCTUATION = set("._@-")


def student_id(raw: str) -> str:
    """The student id of a name found in a layout, a zip, an LMS or Gradescope export, or a roster."""
    text = _ESCAPED_BYTE.sub(lambda match: f"\\x{ord(match[0]) - 0xDC00:02x}", str(raw))
    text = _SURROGATE.sub("\ufffd", text)
    text = unicodedata.normalize("NFC", text.translate(_CONTROLS)).strip()
    if not text:  # nothing left to read: a name made of whitespace or controls still names someone
        return "unnamed-" + _digest(str(raw))
    if len(text) > MAX_ID_CHARS:
        text = text[: MAX_ID_CHARS - HASH_CHARS - 1].rstrip() + "-" + _digest(text)
    return text


def file_name(student: str) -> str:
    """The stem of every file and folder named after `student` (a `student_id`), with no extension."""
    if _keeps_its_name(student):
        return student
    readable = "".join(char if _readable(char) else "_" for char in student)
    readable = re.sub(r"^\.+", lambda match: "_" * len(match[0]), readable)
    if readable.split(".")[0].lower() in _WINDOWS_RESERVED:  # Windows reserves `con.txt` as it does `con`
        readable = "_" + readable
    room = FILE_NAME_BYTES - HASH_CHARS - 1
    readable = readable.encode("utf-8")[:room].decode("utf-8", errors="ignore") or "student"
    return f"{readable}-{_digest(student)}"


def _keeps_its_name(student: str) -> bool:
    return bool(
        _KEPT.fullmatch(student)
        and len(student) <= FILE_NAME_BYTES
        and not student.endswith(".")
        and student.split(".")[0] not in _WINDOWS_RESERVED
        and not _SUFFIXED.search(student)
    )


def _readable(char: str) -> bool:
    """A character kept in the readable part of a suffixed file name: a letter, a mark, a digit, or . _ @ -."""
    return char in _FILE_PUNCTUATION or unicodedata.category(char)[0] in "LMN"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:HASH_CHARS]
