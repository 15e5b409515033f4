"""Text a submission controls, made safe once, where it enters the grader's reports and terminal.

A submission decides much of the text in its result: its exception messages, what it printed, its written
answers, its notebook's file name; a roster or an LMS export decides names, emails and timestamps. Before any
of it reaches a file or a screen, `clean_result` gives every such field the same treatment:

- a lone surrogate (which no UTF-8 file can hold) becomes U+FFFD;
- NUL and the other control characters are removed (C0, DEL, C1, and the bidirectional overrides that can
  make text display other than it reads); multi-line fields keep tabs and line breaks (`\\r\\n` and `\\r`
  become `\\n`), single-line fields turn them into spaces;
- each field is cut to its own length, with a visible `[... N characters cut]` at the end.

Cleaning is idempotent: a clean result comes back unchanged, so code that cannot know whether a result was
cleaned already may clean it again. HTML, CSV and markdown escaping stay with each writer; this module only
makes the text valid, short and free of control characters. `for_terminal` is the terminal's own escaping.
"""

from __future__ import annotations

import dataclasses
import re

from tito.grading.result import SubmissionResult

REPLACEMENT = "\ufffd"
LINE_LIMIT = 200            # a student id, a name, an email, a timestamp
SOURCE_LIMIT = 1_000        # the graded file, relative to the submissions folder
MESSAGE_LIMIT = 4_000       # a test's message, the problem, each note
ANSWER_LIMIT = 50_000       # each written answer
OUTPUT_LIMIT = 100_000      # what the submission printed (the sandbox keeps 64 KiB of it already)
MAX_NOTES = 100

_SURROGATE = re.compile("[\ud800-\udfff]")
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]   # embeddings, overrides, isolates
_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI]
_SEPARATORS = (0x2028, 0x2029)                               # Unicode's line and paragraph separators
_BLOCK_TABLE = {code: None for code in _CONTROLS if chr(code) not in "\t\n"} | dict.fromkeys(_SEPARATORS, "\n")
_LINE_TABLE = {code: None for code in _CONTROLS} | dict.fromkeys([0x09, 0x0A, *_SEPARATORS], " ")
_CUT_ROOM = 40              # the marker's length, so that a cut text is no longer than its limit


def valid_text(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD (a string that can always be encoded as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(REPLACEMENT, text)
    return text


def clean_line(text: str, limit: int = LINE_LIMIT) -> str:
    """A single-line field: valid text, tabs and line breaks as spaces, no control characters, at most `limit`
    characters."""
    text = valid_text(str(text)).replace("\r\n", " ").replace("\r", " ")
    return _cut(text.translate(_LINE_TABLE), limit, " ")


def clean_block(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A multi-line field: valid text, `\\n` line breaks and tabs kept, no other control characters, at most
    `limit` characters."""
    text = valid_text(str(text)).replace("\r\n", "\n").replace("\r", "\n")
    return _cut(text.translate(_BLOCK_TABLE), limit, "\n")


def _cut(text: str, limit: int, separator: str) -> str:
    if len(text) <= limit:
        return text
    kept = max(limit - _CUT_ROOM, 0)
    return f"{text[:kept]}{separator}[... {len(text) - kept} characters cut]"


def clean_result(result: SubmissionResult) -> SubmissionResult:
    """A copy of `result` whose every text field is clean (see the module's docstring). What the grader itself
    decided is kept as it is: the status, scores, test names, grade ids and the resume key."""
    notes = [clean_block(note) for note in result.notes]
    if len(notes) > MAX_NOTES:
        notes = [*notes[: MAX_NOTES - 1], f"[... {len(notes) - MAX_NOTES + 1} more notes cut]"]
    return dataclasses.replace(
        result,
        student=clean_line(result.student),
        tests=[dataclasses.replace(verdict, message=clean_block(verdict.message)) for verdict in result.tests],
        notes=notes,
        problem=None if result.problem is None else clean_block(result.problem),
        output=clean_block(result.output, OUTPUT_LIMIT),
        written=[dataclasses.replace(answer, answer=clean_block(answer.answer, ANSWER_LIMIT))
                 for answer in result.written],
        name=clean_line(result.name),
        email=clean_line(result.email),
        submitted_at=clean_line(result.submitted_at),
        source=clean_line(result.source, SOURCE_LIMIT),
    )


def for_terminal(text: str, *, multiline: bool = False) -> str:
    """`text` ready for rich's console: valid text, every control character shown as an escape (`\\x1b`,
    `\\u202e`; line breaks and tabs kept when `multiline`), and rich markup escaped, so that nothing a
    submission wrote can move the cursor, recolour the terminal or be read as markup. Print it with
    `emoji=False` too, or `:smile:` becomes a face."""
    from rich.markup import escape

    kept = "\n\t" if multiline else ""
    text = valid_text(str(text))
    return escape("".join(_visible(char) if _is_control(char) and char not in kept else char for char in text))


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0 or code in _BIDI or code in _SEPARATORS


def _visible(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
