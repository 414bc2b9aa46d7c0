"""Opening a store by URL: the errors of a bad or unreachable database, translated once.

``open_store`` is the boundary where a URL becomes a database connection, so this is where
SQLAlchemy's and the drivers' exceptions become leadflow's (STYLE: translate foreign
exceptions at the boundary). Every message has one shape, ``cannot open the database <url>:
<reason>``, with the URL's password masked and the driver's reason cut to its first line,
so the CLI can print it as one line and an API log never holds a password.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, DBAPIError, InterfaceError, OperationalError

from leadflow.exceptions import ConfigError, LeadflowError, Unavailable

# ``scheme://user:password@host``: what to mask when SQLAlchemy cannot parse the URL at all
_USERINFO_PASSWORD = re.compile(r"(?P<head>^[^:/?#]+://[^:/@?#]*):[^@/?#]*@")

OPEN_ERRORS = (ArgumentError, DBAPIError)
"""What creating an engine and running the migrations raise for a bad or unreachable database."""


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (parseable or not)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return _USERINFO_PASSWORD.sub(r"\g<head>:***@", url)
    if parsed.password is None:
        return url
    return parsed.render_as_string(hide_password=True)


def check_url(url: str) -> None:
    """``ConfigError`` when SQLAlchemy cannot even parse ``url`` (before any engine is made)."""
    try:
        make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise cannot_open(url, exc) from exc


def first_line(exc: BaseException) -> str:
    """The driver's own message when there is one (not SQLAlchemy's wrapper), first line only."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip() or type(inner).__name__
    return text.splitlines()[0].strip()


def cannot_open(url: str, exc: BaseException) -> LeadflowError:
    """The leadflow error for ``exc`` raised while opening ``url``.

    An unreachable server or folder is ``Unavailable`` (it may come back); a URL that cannot
    work (unknown dialect or driver, a file that is not a database) is ``ConfigError``.
    """
    reason = first_line(exc)
    password = _password(url)
    if password:
        reason = reason.replace(password, "***")
    message = f"cannot open the database {redact_url(url)}: {reason}"
    if isinstance(exc, OperationalError | InterfaceError):
        return Unavailable(message)
    if isinstance(exc, DatabaseError | ArgumentError | ValueError):
        return ConfigError(message)
    return Unavailable(message)


def _password(url: str) -> str | None:
    try:
        return make_url(url).password
    except (ArgumentError, ValueError):
        return None
