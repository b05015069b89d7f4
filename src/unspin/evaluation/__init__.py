"""Evaluation harness: builds spun datasets from the project's fixtures and scores unspin on them.

Nothing here is on the user's check path; the spinners exist only to make test data.
"""
