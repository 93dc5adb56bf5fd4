"""The managers' dashboard: server-rendered pages behind a login, CSRF on every form."""

from . import builder  # noqa: F401  (registers the builder's routes on bp)
from .views import bp

__all__ = ["bp"]
