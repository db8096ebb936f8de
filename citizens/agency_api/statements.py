"""The agency API's hot statements as prepared statements of the PostgreSQL
session (``settings.EGOV_DB_PREPARED_STATEMENTS``, on by default).

psycopg2 has no server-side prepare of its own (psycopg 3 has), so it is done
in SQL, through Django's public cursor: ``PREPARE name AS ...`` together with
the first ``EXECUTE`` (one round trip, one query), ``EXECUTE`` alone after
that. The server then neither parses nor plans the statement again (measured
in docs/performance.md). Which statements a session holds is kept per thread
and database alias (Django's connections are per thread) and forgotten when
Django opens a new session (the ``connection_created`` signal).

Off behind a pooler that hands a session's statements to other clients
(PgBouncer in transaction mode), and on any database other than PostgreSQL:
then ``execute`` is a plain ``cursor.execute(sql, params)``.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.db.backends.signals import connection_created
from django.dispatch import receiver


class _Sessions(threading.local):
    def __init__(self) -> None:
        # alias -> {statement: its name in the session}
        self.prepared: dict[str, dict[str, str]] = {}
        # statements that failed in this thread: the next PREPARE takes a new name
        self.failures = 0


_sessions = _Sessions()


@receiver(connection_created, dispatch_uid="citizens.agency_api.statements")
def _session_started(sender, connection, **kwargs) -> None:
    _sessions.prepared.pop(connection.alias, None)


def enabled(connection) -> bool:
    return connection.vendor == "postgresql" and getattr(
        settings, "EGOV_DB_PREPARED_STATEMENTS", True
    )


def execute(connection, cursor, name: str, sql: str, params: list) -> None:
    """``cursor.execute(sql, params)``, as the prepared statement ``name`` of the
    session when ``enabled``. ``sql`` has ``%s`` placeholders only (no ``%%``)."""
    if not enabled(connection):
        cursor.execute(sql, params)
        return
    prepared = _sessions.prepared.setdefault(connection.alias, {})
    known = prepared.get(name)
    server_name = known or (f"{name}_{_sessions.failures}" if _sessions.failures else name)
    execute_sql = f"EXECUTE {server_name}({', '.join(['%s'] * len(params))})"
    try:
        if known:
            cursor.execute(execute_sql, params)
        else:
            cursor.execute(f"PREPARE {server_name} AS {_numbered(sql)}; {execute_sql}", params)
    except Exception:
        # Whether the statement exists now is unknown (PREPARE outlives a failed
        # transaction): prepare it under a name not used yet next time.
        prepared.pop(name, None)
        _sessions.failures += 1
        raise
    prepared[name] = server_name


def _numbered(sql: str) -> str:
    """``%s`` placeholders as PostgreSQL's ``$1, $2...``."""
    assert "%%" not in sql, "no literal % in a prepared statement"
    parts = sql.split("%s")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]
