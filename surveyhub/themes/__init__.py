"""Themes in open answers: offline grouping of short texts in en, ms, id and zh (no database, no Flask)."""
