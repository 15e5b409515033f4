"""The probe mechanism on its own: single calls, batches of cases (`each`), and the helpers hidden tests use."""

from __future__ import annotations

import types

import pytest

from tito.grading.probes import RAISED, InProcessProbes, SubmissionRaised, ask, ask_each, call_probe, raise_for


def probes_module():
    module = types.ModuleType("probes")

    def halve(value):
        if value == 0:
            raise ValueError("cannot halve zero")
        if value < 0:
            raise SystemExit(0)
        return value / 2

    module.halve = halve
    module._helper = lambda: "private"
    return module


def test_a_batch_keeps_each_cases_exception_with_its_case():
    """Does `each` return every case's value, with a raised Exception described in place of its own case?"""
    value = raise_for(call_probe(probes_module(), "each", {"probe": "halve", "cases": [{"value": 4}, {"value": 0}]}))
    assert value[0] == 2.0
    assert value[1] == {RAISED: "ValueError: cannot halve zero"}


def test_a_base_exception_ends_the_whole_batch():
    """Does SystemExit in one case fail the whole call, as it would a single call?"""
    response = call_probe(probes_module(), "each", {"probe": "halve", "cases": [{"value": 4}, {"value": -1}]})
    with pytest.raises(SubmissionRaised, match="SystemExit"):
        raise_for(response)


@pytest.mark.parametrize("name", ["missing", "_helper", "each"])
def test_a_batch_of_no_probe_is_a_suite_bug(name):
    """Is a batch of a missing, private or nested-batch probe refused as the suite's own mistake?"""
    with pytest.raises(RuntimeError, match="no probe named"):
        raise_for(call_probe(probes_module(), "each", {"probe": name, "cases": [{}]}))


def test_ask_each_pairs_cases_and_names_the_one_that_raised():
    """Does ask_each return (what, got, expected) per case, and fail naming the case the submission raised on?"""
    reference = InProcessProbes(probes_module())
    student = types.SimpleNamespace(each=lambda **kwargs: [1.0, {RAISED: "TypeError: nope"}])
    cases = [("half of 4", {"value": 4}), ("half of 6", {"value": 6})]
    with pytest.raises(AssertionError, match="half of 6: your code raised TypeError: nope"):
        ask_each(student, reference, "halve", cases)
    student.each = lambda **kwargs: [1.0, 3.0]
    assert ask_each(student, reference, "halve", cases) == [("half of 4", 1.0, 2.0), ("half of 6", 3.0, 3.0)]


def test_ask_names_the_case_when_the_submission_raises():
    """Does ask turn SubmissionRaised into an AssertionError that starts with the case?"""
    reference = InProcessProbes(probes_module())
    assert ask(reference.halve, "half of 8", value=8) == 4.0
    with pytest.raises(AssertionError, match="^half of 0: your code raised ValueError: cannot halve zero"):
        ask(reference.halve, "half of 0", value=0)
