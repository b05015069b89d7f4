"""Evaluation harness (not part of the wheel; run `python -m evaluation` or `unspin eval` from a
source checkout): builds spun datasets from the project's fixtures and scores unspin on them.

Nothing here is on the user's check path; the spinners exist only to make test data.
"""
