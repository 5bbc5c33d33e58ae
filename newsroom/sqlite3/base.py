"""Django's SQLite backend, keeping the query planner's statistics current.

Without statistics (``sqlite_stat1``) SQLite guesses how selective each index is, and at
newsroom scale it guesses wrong: the article page's related-stories lookup walked every
published story through the state index instead of the few sharing its tags (40 ms instead
of 2 ms at 10,000 stories). SQLite's advice for applications is to run ``PRAGMA optimize``
as each connection closes: it analyses only the tables this connection queried whose
statistics are missing or far out of date (the row count changed tenfold), so it usually does
nothing and costs microseconds. ``manage.py seed_newsroom`` runs a full ``ANALYZE`` after a
bulk load. (PostgreSQL keeps its own statistics through autovacuum.)

The analysis is a full one, not a sample (``PRAGMA analysis_limit``): sampled statistics put
at most the sample's size of stories behind each state, which made the state index look
selective and brought the slow plan back. A full ANALYZE of a 100,000-story file (1 GB with
the search index) takes about 3 s, and only happens when a table has grown tenfold.

``settings.DATABASES`` selects this backend for every SQLite database.
"""

import contextlib

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def _close(self):
        if self.connection is not None and not self.in_atomic_block:
            # Statistics are an optimisation: a busy or read-only file keeps the old ones.
            with contextlib.suppress(base.Database.Error):
                self.connection.execute("PRAGMA optimize")
        super()._close()
