"""Themes of open answers: the offline grouping of short texts in en, ms, id and zh (grouping.py, no database,
no Flask) and its store, edits and listing (store.py, edits.py)."""
