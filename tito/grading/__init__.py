"""Grading: hidden suites run on the trusted side against student code held in a sandbox."""
