"""Django's SQLite backend, keeping the query planner's statistics current.

Without statistics (``sqlite_stat1``) SQLite guesses how selective each index is, and at
newsroom scale it guesses wrong: the article page's related-stories lookup walked every
published story through the state index instead of the few sharing its tags (40 ms instead
of 1 ms at 10,000 stories). SQLite's advice for applications is to run ``PRAGMA optimize``
as each connection closes: it analyses only the tables this connection queried whose
statistics are missing or far out of date (the row count changed tenfold), so it usually does
nothing and costs microseconds; ``analysis_limit`` bounds the work of an ANALYZE it does run
to a sample of each index. ``manage.py seed_newsroom`` runs a full ``ANALYZE`` after a bulk
load. (PostgreSQL keeps its own statistics through autovacuum.)

``settings.DATABASES`` selects this backend for every SQLite database.
"""

import contextlib

from django.db.backends.sqlite3 import base

# Rows of each index an ANALYZE run by PRAGMA optimize samples (SQLite's suggested range).
ANALYSIS_LIMIT = 1000


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        return connection

    def _close(self):
        if self.connection is not None and not self.in_atomic_block:
            # Statistics are an optimisation: a busy or read-only file keeps the old ones.
            with contextlib.suppress(base.Database.Error):
                self.connection.execute("PRAGMA optimize")
        super()._close()
