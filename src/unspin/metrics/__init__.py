"""Measures of text that are not findings: readability (Flesch reading ease and friends)."""
