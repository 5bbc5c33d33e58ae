"""The SQLite backend keeps the query planner's statistics (newsroom/sqlite3/base.py)."""

import sqlite3

from django.db.utils import ConnectionHandler


def connect(path):
    handler = ConnectionHandler({"default": {"ENGINE": "newsroom.sqlite3", "NAME": str(path)}})
    return handler["default"]


def statistics(path) -> dict[str, str]:
    with sqlite3.connect(path) as raw:
        exists = raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()
        if not exists:
            return {}
        return {index: stat for _, index, stat in raw.execute("SELECT * FROM sqlite_stat1")}


def test_closing_a_connection_analyses_the_tables_it_queried(tmp_path, django_db_blocker):
    path = tmp_path / "news.sqlite3"
    connection = connect(path)
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE story (id INTEGER PRIMARY KEY, tag INTEGER)")
        cursor.execute("CREATE INDEX story_tag ON story (tag)")
        cursor.execute(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1999) "
            "INSERT INTO story (tag) SELECT i % 50 FROM n"
        )
        cursor.execute("SELECT id FROM story WHERE tag = %s", [7])
    assert statistics(path) == {}
    with django_db_blocker.unblock():
        connection.close()
    # 2,000 rows, 40 to each tag, counted rather than sampled: what the planner needs to
    # know to prefer the index.
    assert statistics(path)["story_tag"] == "2000 40"
