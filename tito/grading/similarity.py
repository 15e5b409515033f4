"""Pairs of submissions alike enough for a human to look at: code by winnowed fingerprints, as MOSS does.

Only what a student wrote is compared, never what the release gives:

- **code**: the notebook's answer cells (the release's solution cells, and code cells the student added),
  read with `prepare.read_notebook` (the same caps as grading). Each is read with Python's `tokenize`:
  comments, blank lines and magics dropped, every identifier `V`, number `N` and string `S`, keywords and
  operators kept, so renaming variables or rewording comments changes nothing. The token stream is cut into
  k-grams (K_CODE tokens), hashed, and winnowed (Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms
  for document fingerprinting", SIGMOD 2003): the smallest hash of every window of W_CODE k-grams is kept, so
  any match of at least K_CODE + W_CODE - 1 tokens shares a fingerprint.
- **written answers**: each written question's answer, as lower-case words, fingerprinted the same way
  (K_WORDS words, windows of W_WORDS); two answers that are the same text (ignoring case, spacing and
  punctuation) are always flagged, at 100%, once they hold at least MIN_WORDS words.

What everyone has is left out: every k-gram of the release notebook (the given code and text), and
fingerprints found in more than `common_limit(n)` of the n submissions (a short idiom of the right answer).
A pair's similarity is the share of the smaller submission's fingerprints that the other has too, and a pair
is reported when that reaches the threshold and they share at least MIN_SHARED fingerprints. The report flags
for a human; it never changes a grade.
"""

from __future__ import annotations

import io
import itertools
import keyword
import math
import re
import tokenize
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from nbformat import NotebookNode

from tito import cells as C
from tito.course import Course
from tito.errors import TitoError
from tito.grading.prepare import MAX_NOTEBOOK_BYTES, read_notebook
from tito.grading.sanitize import ANSWER_LIMIT
from tito.grading.submissions import Submission
from tito.modules import ModuleInfo

DEFAULT_THRESHOLD = 0.8
K_CODE, W_CODE = 12, 8        # tokens per k-gram, k-grams per window: a match of 19 tokens is always found
K_WORDS, W_WORDS = 5, 4       # words per k-gram, k-grams per window: a match of 8 words is always found
MIN_SHARED = 5                # fingerprints two submissions must share, whatever the share
MIN_WORDS = 4                 # words an identical written answer needs to be flagged
MAX_CODE_CHARS = 500_000     # of a notebook's answer cells compared (this course's answers are about 30,000)
EXCERPT_LINES = 80            # lines of a pair's matched code shown in the report
EXCERPT_CHARS = 4_000
CODE, WRITTEN = "code", "written"

_BASE = np.uint64(1_000_003)
_WORD = re.compile(r"\w+")
_FALLBACK_TOKEN = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|\S")
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}


@dataclass(frozen=True)
class SimilarPair:
    student_a: str          # the two students, a < b
    student_b: str
    kind: str               # code | written
    part: str               # "answer cells", or the written question's grade_id
    similarity: float       # shared / the smaller one's fingerprints, 0 to 1 (1 for identical written answers)
    shared: int             # fingerprints both have
    a_share: float          # shared / a's fingerprints
    b_share: float
    a_excerpt: str = ""     # the matched lines of code, or the written answer
    b_excerpt: str = ""


@dataclass(frozen=True)
class SimilarityReport:
    pairs: list[SimilarPair]   # most alike first
    compared: int              # submissions whose notebook could be read and compared
    threshold: float


@dataclass
class _Document:
    """One student's part to compare: its fingerprints and, for excerpts, where each comes from."""

    student: str
    fingerprints: set[int] = field(default_factory=set)
    lines: dict[int, tuple[int, int]] = field(default_factory=dict)   # fingerprint -> first and last line
    text: list[str] = field(default_factory=list)                     # the lines compared (excerpts)
    normal: str = ""                                                   # written: the answer's words


def common_limit(students: int) -> int:
    """A fingerprint found in more submissions than this is common to the class, and ignored."""
    return max(10, math.ceil(0.1 * students))


def find_similar(submissions: Sequence[Submission], course: Course, module: ModuleInfo,
                 threshold: float = DEFAULT_THRESHOLD) -> SimilarityReport:
    """Every pair of `submissions` (with a file) whose code, or whose answer to a written question, is at least
    `threshold` alike (0 to 1), most alike first. A file that is no readable notebook is left out (its
    student's result says why)."""
    if not 0 <= threshold <= 1:
        raise TitoError(f"the similarity threshold is a share from 0 to 1 (e.g. 0.8), not {threshold}")
    from tito.release import load_manifest

    manifest = load_manifest(course, module)
    release_path = course.paths.release / module.slug / module.notebook_name
    try:
        release = read_notebook(release_path.read_bytes())
    except (OSError, TitoError) as error:
        raise TitoError(f"cannot read the release notebook {release_path}: {error}") from None
    kinds = {entry["grade_id"]: entry["kind"] for entry in manifest["cells"]}
    base_code = set(_kgram_hashes(*_code_tokens(_code_cells_text(release.cells, kinds, given=True)), K_CODE)[0])
    released_code = {cell.source.strip() for cell in release.cells if cell.cell_type == "code"}
    base_words = set(_kgram_hashes(*_word_tokens("\n".join(c.source for c in release.cells)), K_WORDS)[0])
    questions = [entry["grade_id"] for entry in manifest["cells"] if entry["kind"] == "written"]
    code_docs: list[_Document] = []
    written_docs: dict[str, list[_Document]] = {question: [] for question in questions}
    released_answers = {C.grade_id(cell): _normal(cell.source) for cell in release.cells if C.grade_id(cell)}
    for submission in sorted(submissions, key=lambda s: s.student):
        notebook = _read(submission.path)
        if notebook is None:
            continue
        lines = _code_cells_text(notebook.cells, kinds, given=False, released=released_code)
        code_docs.append(_document(submission.student, lines, *_code_tokens(lines), K_CODE, W_CODE, base_code))
        answered: set[str] = set()
        for cell in notebook.cells:
            grade_id = C.grade_id(cell)
            if grade_id in written_docs and cell.cell_type == "markdown" and grade_id not in answered:
                answered.add(grade_id)
                text = cell.source[:ANSWER_LIMIT]
                document = _document(submission.student, text.splitlines(), *_word_tokens(text), K_WORDS, W_WORDS,
                                     base_words)
                document.normal = _normal(text)
                if document.normal == released_answers.get(grade_id):
                    document.normal = ""   # the release's own text: not an answer
                written_docs[grade_id].append(document)
    pairs = _pairs(code_docs, CODE, "answer cells", threshold, excerpt=_code_excerpt)
    for question, documents in written_docs.items():
        pairs += _identical(documents, question)
        found = {(pair.student_a, pair.student_b) for pair in pairs if pair.part == question}
        pairs += [pair for pair in _pairs(documents, WRITTEN, question, threshold, excerpt=_answer_excerpt)
                  if (pair.student_a, pair.student_b) not in found]
    pairs.sort(key=lambda pair: (-pair.similarity, pair.student_a, pair.student_b, pair.kind, pair.part))
    return SimilarityReport(pairs, len(code_docs), threshold)


def _read(path: Path | None) -> NotebookNode | None:
    try:
        if path is None or not path.is_file() or path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return None
        return read_notebook(path.read_bytes())
    except (OSError, TitoError):
        return None


def _code_cells_text(cells: Sequence[NotebookNode], kinds: dict[str, str], *, given: bool,
                     released: set[str] = frozenset()) -> list[str]:
    """The lines of the code cells compared: a student's answer cells (solution cells and cells of no grade_id,
    which the release's text then thins out; a cell exactly as released is left out at once), at most
    MAX_CODE_CHARS of them, or with `given` every code cell of the release."""
    lines: list[str] = []
    size = 0
    for cell in cells:
        if cell.cell_type != "code" or (not given and cell.source.strip() in released):
            continue
        grade_id = C.grade_id(cell)
        if given or grade_id is None or kinds.get(grade_id) == "solution":
            lines += cell.source.splitlines() + [""]
            size += len(cell.source)
            if not given and size > MAX_CODE_CHARS:
                break
    return lines


def _code_tokens(lines: list[str]) -> tuple[list[str], list[int]]:
    """Normalised tokens of Python source (`lines`) and the line (0-based) each starts on."""
    text = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines) + "\n"
    tokens: list[str] = []
    rows: list[int] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in _SKIPPED:
                continue
            tokens.append(_normal_token(token.type, token.string))
            rows.append(token.start[0] - 1)
    except (tokenize.TokenError, SyntaxError):
        return _fallback_tokens(text)   # code that does not tokenize (a syntax error) is still compared
    return tokens, rows


def _normal_token(kind: int, text: str) -> str:
    if kind == tokenize.NAME:
        return text if keyword.iskeyword(text) else "V"
    if kind == tokenize.NUMBER:
        return "N"
    if kind == tokenize.STRING:
        return "S"
    if kind == tokenize.NEWLINE:
        return ";"
    if kind == tokenize.INDENT:
        return "{"
    if kind == tokenize.DEDENT:
        return "}"
    return text


def _fallback_tokens(text: str) -> tuple[list[str], list[int]]:
    tokens, rows = [], []
    for number, line in enumerate(text.splitlines()):
        line = line.split("#", 1)[0]
        for match in _FALLBACK_TOKEN.finditer(line):
            word = match[0]
            if word[0].isalpha() or word[0] == "_":
                word = word if keyword.iskeyword(word) else "V"
            elif word[0].isdigit():
                word = "N"
            elif word[0] in "\"'":
                word = "S"
            tokens.append(word)
            rows.append(number)
    return tokens, rows


def _word_tokens(text: str) -> tuple[list[str], list[int]]:
    tokens, rows = [], []
    for number, line in enumerate(text.splitlines()):
        for word in _WORD.findall(line.casefold()):
            tokens.append(word)
            rows.append(number)
    return tokens, rows


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _kgram_hashes(tokens: list[str], rows: list[int], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The hash of every k-gram of `tokens` (a polynomial hash of CRC-32s, the same in every run) and the row
    each k-gram starts on."""
    if len(tokens) < k:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    known: dict[str, int] = {}
    ids = np.fromiter((known.get(t) or known.setdefault(t, zlib.crc32(t.encode("utf-8", "replace")) + 1)
                       for t in tokens), dtype=np.uint64, count=len(tokens))
    count = len(tokens) - k + 1
    hashes = np.zeros(count, dtype=np.uint64)
    for offset in range(k):   # wraps modulo 2**64, as intended
        hashes = hashes * _BASE + ids[offset:offset + count]
    return hashes, np.asarray(rows[:count], dtype=np.int64)


def _winnow(hashes: np.ndarray, window: int) -> np.ndarray:
    """The positions winnowing keeps: the rightmost smallest hash of every window of `window` hashes."""
    if len(hashes) == 0:
        return np.empty(0, dtype=np.int64)
    if len(hashes) <= window:
        return np.array([len(hashes) - 1 - int(np.argmin(hashes[::-1]))])
    windows = np.lib.stride_tricks.sliding_window_view(hashes, window)[:, ::-1]
    return np.unique(np.arange(len(windows)) + window - 1 - np.argmin(windows, axis=1))


def _document(student: str, lines: list[str], tokens: list[str], rows: list[int], k: int, window: int,
              base: set[int]) -> _Document:
    hashes, starts = _kgram_hashes(tokens, rows, k)
    document = _Document(student, text=lines)
    ends = np.asarray(rows[k - 1:], dtype=np.int64) if len(hashes) else starts
    for position in _winnow(hashes, window):
        value = int(hashes[position])
        if value in base:
            continue
        document.fingerprints.add(value)
        document.lines.setdefault(value, (int(starts[position]), int(ends[position])))
    return document


def _pairs(documents: list[_Document], kind: str, part: str, threshold: float, excerpt) -> list[SimilarPair]:
    """Pairs of documents sharing fingerprints (those of more than `common_limit` documents left out) that reach
    `threshold` and MIN_SHARED."""
    postings: dict[int, list[int]] = defaultdict(list)
    for index, document in enumerate(documents):
        for value in document.fingerprints:
            postings[value].append(index)
    limit = common_limit(len(documents))
    common = {value for value, holders in postings.items() if len(holders) > limit}
    shared: Counter = Counter()
    for value, holders in postings.items():
        if 1 < len(holders) <= limit:
            shared.update(itertools.combinations(holders, 2))
    pairs = []
    for (a, b), count in shared.items():
        first, second = documents[a], documents[b]
        sizes = len(first.fingerprints - common), len(second.fingerprints - common)
        similarity = count / max(1, min(sizes))
        if count < MIN_SHARED or similarity < threshold:
            continue
        values = (first.fingerprints & second.fingerprints) - common
        pairs.append(SimilarPair(
            first.student, second.student, kind, part, similarity, count, count / max(1, sizes[0]),
            count / max(1, sizes[1]), excerpt(first, values), excerpt(second, values),
        ))
    return pairs


def _identical(documents: list[_Document], question: str) -> list[SimilarPair]:
    """Pairs whose answers are the same words (at least MIN_WORDS of them); an answer more than `common_limit`
    students gave word for word is common (say, "I do not know") and not flagged."""
    groups: dict[str, list[_Document]] = defaultdict(list)
    for document in documents:
        if len(document.normal.split()) >= MIN_WORDS:
            groups[document.normal].append(document)
    limit = common_limit(len(documents))
    return [
        SimilarPair(first.student, second.student, WRITTEN, question, 1.0,
                    len(first.fingerprints & second.fingerprints),
                    1.0, 1.0, _answer_excerpt(first, set()), _answer_excerpt(second, set()))
        for group in groups.values() if 1 < len(group) <= limit
        for first, second in itertools.combinations(group, 2)
    ]


def _code_excerpt(document: _Document, values: set[int]) -> str:
    """The lines of `document` its shared fingerprints come from, with `...` between runs that are apart."""
    covered = sorted({row for value in values if value in document.lines
                      for row in range(document.lines[value][0], document.lines[value][1] + 1)})
    shown: list[str] = []
    previous = None
    for row in covered[:EXCERPT_LINES]:
        if previous is not None and row != previous + 1:
            shown.append("...")
        if row < len(document.text):
            shown.append(document.text[row])
        previous = row
    if len(covered) > EXCERPT_LINES:
        shown.append(f"... and {len(covered) - EXCERPT_LINES} more lines")
    return "\n".join(shown)[:EXCERPT_CHARS]


def _answer_excerpt(document: _Document, values: set[int]) -> str:
    return "\n".join(document.text)[:EXCERPT_CHARS]
