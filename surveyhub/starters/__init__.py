"""Survey templates to start from: JSON definitions with texts in every product locale (en, ms, id, zh)."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import NotFound

STARTERS_DIR = Path(__file__).parent
STARTER_KEYS = ("saas-cancellation", "phone-exit-interview", "win-back-check-in")


def load_starter(key: str, default_locale: str = "en") -> dict:
    """Return a starter's definition, with `default_locale` as its default (every starter has all four)."""
    if key not in STARTER_KEYS:
        raise NotFound(f"No template {key!r}.", {"starter": "is not a template"})
    definition = json.loads((STARTERS_DIR / f"{key}.json").read_text(encoding="utf-8"))
    definition["default_locale"] = default_locale
    return definition
