"""Extensions, created unbound and bound to the app in the factory."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, ClassVar, cast

from flask import g, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import CursorResult, Executable, MetaData, Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from .i18n import LOCALES, choose_locale

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:  # every model maps one table (SQLAlchemy types __table__ as any FROM clause)
        __table__: ClassVar[Table]


# Objects stay readable after commit: a view serializes what a service just wrote without reloading
# it in a second transaction. Services that change rows behind the ORM's back (Core UPDATEs) expire
# or refresh what they changed.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
# The models' base class. db.Model is made at run time from Base (with Flask-SQLAlchemy's mixins), which a type
# checker cannot follow: to it the models derive from Base, which has their metadata, columns and constructor.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def rowcount(statement: Executable) -> int:
    """Execute an UPDATE, DELETE or INSERT in the session; return how many rows it matched."""
    return cast(CursorResult, db.session.execute(statement)).rowcount


migrate = Migrate()
babel = Babel()  # the product's words: surveyhub/translations, chosen by page_locale
login_manager = LoginManager()
csrf = CSRFProtect()
# No default limits: only the routes that declare one (the public widget endpoints) are limited.
limiter = Limiter(key_func=get_remote_address)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """Make SQLite fit for several processes: WAL, foreign keys, and waiting on a busy lock."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite_immediate(connection) -> None:
    """Take SQLite's write lock at BEGIN so that busy_timeout applies.

    A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when another
    process wrote in between; an immediate one waits its turn instead. An engine in autocommit (the
    rate limits' storage: one statement a call) begins none: a writing statement takes the lock first.
    """
    autocommit = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    if connection.dialect.name == "sqlite" and not autocommit:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def page_locale() -> str:
    """Flask-Babel's locale selector: the page's content locale (`g.locale`), else the browser's."""
    wanted = g.get("locale")
    if wanted or not has_request_context():
        return choose_locale(LOCALES, wanted)
    return choose_locale(LOCALES, *request.accept_languages.values())
