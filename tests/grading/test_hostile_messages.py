"""A submission that writes hostile messages to the grader's channel (fd 3) fails only the call it spoils.

tests/grading/test_wire.py checks each message against the decoder; here the same messages come from a real
sandbox child, at import and inside a probe call, and the sandbox goes on serving the next call and session.
"""

from __future__ import annotations


import pytest

from tito.grading.probes import SubmissionCrashed, SubmissionRaised
from tito.sandbox.client import Sandbox
from tito.sandbox.limits import Limits

PACKAGE = {"tinytorch/__init__.py": "", "tinytorch/core/__init__.py": ""}
PROBES = '''
from tinytorch.core import evil

def run(name, **kwargs):
    return getattr(evil, name)(**kwargs)
'''
# Python expressions, evaluated in the sandbox child, for the bytes it writes to the channel
HOSTILE = {
    "deep nesting": "b'[' * 100_000 + b']' * 100_000 + b'\\n'",
    "nesting past json's recursion limit": "b'[' * 5_000 + b']' * 5_000 + b'\\n'",
    "a 5,000-digit integer": "b'{\"id\": 1, \"ok\": true, \"value\": ' + b'1' * 5_000 + b'}\\n'",
    "an integer past 64 bits": "b'{\"id\": 1, \"ok\": true, \"value\": 18446744073709551616}\\n'",
    "invalid UTF-8": "b'{\"id\": 1, \"ok\": true, \"value\": \"\\xff\\xfe\"}\\n'",
    "a line over the cap": "b'[' + b'1,' * (5 << 20)",
}
# well-formed JSON whose value wire.decode refuses
MALFORMED = {
    "a scalar overflowing its dtype": (
        "b'{\"id\": 1, \"ok\": true, \"value\": {\"__scalar__\": {\"dtype\": \"int8\", \"value\": 1000}}}\\n'"
    ),
}
SURROGATES = (
    "b'{\"id\": 1, \"ok\": false, \"error\": "
    "{\"type\": \"E\\\\ud800\", \"message\": \"\\\\udc00!\", \"where\": \"\"}}\\n'"
)


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(Limits(call_seconds=5, submission_seconds=60, memory_bytes=1024**3))
    yield box
    box.close()


def load(sandbox, code: str):
    files = dict(PACKAGE)
    files["tinytorch/core/evil.py"] = "import os\n" + code + "\ndef ok():\n    return 7\n"
    return sandbox.session(files, PROBES, ["core.evil"])


def a_clean_session_works(sandbox) -> bool:
    session = load(sandbox, "")
    try:
        return session.run(name="ok") == 7
    finally:
        session.close()


@pytest.mark.parametrize("what", sorted(HOSTILE))
def test_a_hostile_message_at_import_fails_the_load_and_the_next_session_works(sandbox, what):
    """Written while the package is imported, does the message fail loading that submission only?"""
    session = load(sandbox, f"os.write(3, {HOSTILE[what]})\n")
    assert isinstance(session.load_error, SubmissionCrashed)
    assert "grader's channel" in str(session.load_error)
    with pytest.raises(SubmissionCrashed):
        session.run(name="ok")
    session.close()
    assert a_clean_session_works(sandbox)


@pytest.mark.parametrize("what", sorted(HOSTILE))
def test_a_hostile_message_in_a_probe_call_fails_that_call_and_the_next_one_works(sandbox, what):
    """Written during a probe call, does the message fail that call, with the next call and session served?"""
    session = load(sandbox, f"def spoil():\n    os.write(3, {HOSTILE[what]})\n    return 1\n")
    assert session.load_error is None
    with pytest.raises(SubmissionCrashed, match="grader's channel"):
        session.run(name="spoil")
    assert session.run(name="ok") == 7
    session.close()
    assert a_clean_session_works(sandbox)


def test_lone_surrogates_in_an_answer_arrive_as_valid_text(sandbox):
    """Does an error message holding lone surrogates arrive with U+FFFD in their place, ready for a report?"""
    session = load(sandbox, f"def spoil():\n    os.write(3, {SURROGATES})\n    import time\n    time.sleep(1)\n")
    with pytest.raises(SubmissionRaised) as raised:
        session.run(name="spoil")
    assert str(raised.value) == "your code raised E\ufffd: \ufffd!"
    str(raised.value).encode("utf-8")
    session.close()
    assert a_clean_session_works(sandbox)


@pytest.mark.parametrize("what", sorted(MALFORMED))
def test_a_malformed_answer_at_import_fails_the_load_and_the_next_session_works(sandbox, what):
    """Does a well-formed line with a malformed value fail loading that submission only?"""
    session = load(sandbox, f"os.write(3, {MALFORMED[what]})\n")
    assert isinstance(session.load_error, SubmissionCrashed)
    session.close()
    assert a_clean_session_works(sandbox)


@pytest.mark.parametrize("what", sorted(MALFORMED))
def test_a_malformed_answer_in_a_probe_call_fails_that_call(sandbox, what):
    """Does a well-formed line with a malformed value fail that call as a crash, the next call served?"""
    session = load(sandbox, f"def spoil():\n    os.write(3, {MALFORMED[what]})\n    import time\n    time.sleep(1)\n")
    with pytest.raises(SubmissionCrashed):
        session.run(name="spoil")
    assert session.run(name="ok") == 7
    session.close()
