"""The managers' dashboard: server-rendered pages behind a login, CSRF on every form."""

from . import builder, followups, preview, responses, settings, themes  # noqa: F401 - their routes register on bp
from .views import bp

__all__ = ["bp"]
