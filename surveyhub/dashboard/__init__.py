"""The managers' dashboard: server-rendered pages behind a login, CSRF on every form."""

from .views import bp

__all__ = ["bp"]
