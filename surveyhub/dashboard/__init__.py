"""The managers' dashboard: server-rendered pages behind a login, CSRF on every form."""

from . import followups as _followups  # noqa: F401  (its routes join bp)
from .views import bp

__all__ = ["bp"]
