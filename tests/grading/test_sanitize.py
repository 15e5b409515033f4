"""Text a submission controls is cleaned once, at the border: valid, free of control characters, short."""

from __future__ import annotations

import pytest

from tito.grading import sanitize
from tito.grading.result import SubmissionResult, WrittenAnswer
from tito.grading.result import TestVerdict as Verdict


def hostile_result() -> SubmissionResult:
    return SubmissionResult(
        student="bob", status="graded", max_score=2.0,
        tests=[Verdict("test_a", 1.0, 0.0, False, "your code raised ValueError: \ud800\x00bad\x1b[31m"),
               Verdict("test_b", 1.0, 1.0, True, "")],
        notes=["note\r\nwith CRLF\x07", *(f"note {n}" for n in range(150))],
        problem="problem \udcff",
        output="line 1\r\nline 2\tand\x00 NUL\x08\n" + "x" * 200_000,
        written=[WrittenAnswer("q1", 5.0, "answer\u202e reversed\n\n<script>", True)],
        name="Ada\tLovelace\n\x1b]0;title\x07", email="ada@example.org\x00", submitted_at="2024\u2028-03-01",
        source="bob/\udcffnotebook.ipynb", key="abc",
    )


def test_lone_surrogates_become_replacement_characters():
    """Is every lone surrogate replaced by U+FFFD, and a valid astral character kept?"""
    assert sanitize.valid_text("a\ud800b\udfff\U0001F600") == "a\ufffdb\ufffd\U0001F600"
    assert sanitize.clean_line("\ud83d") == "\ufffd"


def test_a_single_line_field_loses_control_characters_and_line_breaks():
    """Does a name lose NUL, escape and bell characters, with tabs and line breaks turned into spaces?"""
    assert sanitize.clean_line("Ada\tLovelace\r\n\x1b]0;x\x07\x00\u2029end\x7f\x85") == "Ada Lovelace ]0;x end"


def test_a_multi_line_field_keeps_line_breaks_and_tabs_only():
    """Are `\\n` and tabs kept, CRLF and CR turned into `\\n`, and every other control character removed?"""
    assert sanitize.clean_block("a\r\nb\rc\td\x00e\x1b[2Jf\u2028g\u202eh") == "a\nb\nc\tde[2Jf\ngh"


@pytest.mark.parametrize("clean, limit, separator", [
    (sanitize.clean_line, 200, " "), (sanitize.clean_block, 4000, "\n"),
])
def test_a_long_field_is_cut_with_a_visible_marker(clean, limit, separator):
    """Is a text over its limit cut to at most the limit, ending with how many characters were cut?"""
    text = "y" * (limit + 1000)
    cut = clean(text, limit)
    assert len(cut) <= limit
    kept = cut.index(separator + "[...")
    assert cut.endswith(f"[... {len(text) - kept} characters cut]") and cut[:kept] == "y" * kept
    assert clean("y" * limit, limit) == "y" * limit


def test_clean_result_cleans_every_text_field():
    """Does clean_result clean messages, notes, problem, output, answers, names, email, timestamp and source?"""
    result = hostile_result()
    clean = sanitize.clean_result(result)
    assert clean.tests[0].message == "your code raised ValueError: \ufffdbad[31m"
    assert clean.notes[0] == "note\nwith CRLF" and len(clean.notes) == sanitize.MAX_NOTES
    assert clean.notes[-1] == "[... 52 more notes cut]"
    assert clean.problem == "problem \ufffd"
    assert clean.output.startswith("line 1\nline 2\tand NUL\n") and len(clean.output) <= sanitize.OUTPUT_LIMIT
    assert clean.output.endswith("characters cut]")
    assert clean.written[0].answer == "answer reversed\n\n<script>"      # HTML is each writer's to escape
    assert (clean.name, clean.email, clean.submitted_at) == ("Ada Lovelace ]0;title", "ada@example.org", "2024 -03-01")
    assert clean.source == "bob/\ufffdnotebook.ipynb"
    for text in [clean.name, clean.output, clean.problem, *clean.notes, *(t.message for t in clean.tests)]:
        text.encode("utf-8")


def test_what_the_grader_decided_is_kept_and_the_input_is_untouched():
    """Are status, scores, test names, grade ids and key kept, and the original result left as it was?"""
    result = hostile_result()
    before = result.to_dict()
    clean = sanitize.clean_result(result)
    assert result.to_dict() == before
    assert (clean.student, clean.status, clean.max_score, clean.score, clean.key) == ("bob", "graded", 2.0, 1.0, "abc")
    assert [t.name for t in clean.tests] == ["test_a", "test_b"] and clean.written[0].grade_id == "q1"


def test_cleaning_twice_changes_nothing():
    """Is a cleaned result returned unchanged by a second cleaning (so any layer may clean again)?"""
    once = sanitize.clean_result(hostile_result())
    assert sanitize.clean_result(once) == once
    assert sanitize.clean_result(SubmissionResult("ada", "missing", 1.0)) == SubmissionResult("ada", "missing", 1.0)


def test_the_terminal_sees_escapes_instead_of_control_characters_and_markup():
    """Are escape sequences shown as `\\x1b`, bidi overrides as `\\u202e`, and rich markup escaped?"""
    from rich.console import Console

    text = sanitize.for_terminal("Mal\x1b[2J [bold red]x[/] \u202eevil\nnext\ud800")
    assert text == "Mal\\x1b[2J \\[bold red]x\\[/] \\u202eevil\\x0anext\ufffd"
    console = Console(record=True, width=200, color_system=None)
    console.print(text, emoji=False)
    assert console.export_text() == "Mal\\x1b[2J [bold red]x[/] \\u202eevil\\x0anext\ufffd\n"
    assert sanitize.for_terminal("one\n\ttwo\r", multiline=True) == "one\n\ttwo\\x0d"
