"""Themes of open answers: the grouping (grouping.py) and its store, edits and listing (store.py)."""
