"""SQLite's search prefilter: an FTS5 table of each story's folded text (see articles.search).

Nothing on PostgreSQL, whose search has its own document and GIN index (0004, 0005). On a
SQLite build without FTS5 or the ``trigram`` tokenizer (SQLite before 3.34) the table cannot be
made: the migration leaves it out and search scans every story instead, with the same results.

The table is filled here for the stories already there, with the text the search's LIKE
predicates read. The folding functions are copied, as a migration's code should be (the app's
``articles.search.fold``/``html_text`` may change; ``rebuild_search_index`` then refills it).
"""

import html
import re

from django.db import OperationalError, migrations, transaction

TABLE = "articles_search_index"
TAG = re.compile(r'<(?:[^>"]|"[^"]*")*>')


def fold(value):
    return value.lower() if value else ""


def fold_html(value):
    return html.unescape(TAG.sub(" ", value)).lower() if value else ""


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            # case_sensitive 1: the text is folded already, by Python, as the queries are.
            cursor.execute(
                f"CREATE VIRTUAL TABLE {TABLE} USING fts5("
                "headline, deck, body, names, tokenize = 'trigram case_sensitive 1')"
            )
    except OperationalError:
        # No FTS5 module or no trigram tokenizer in this SQLite: search scans instead.
        return
    raw = connection.connection
    raw.create_function("newsroom_0009_fold", 1, fold, deterministic=True)
    raw.create_function("newsroom_0009_fold_html", 1, fold_html, deterministic=True)
    article = apps.get_model("articles", "Article")._meta.db_table
    contribution = apps.get_model("articles", "Contribution")._meta.db_table
    person = apps.get_model("people", "Person")._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {TABLE} (rowid, headline, deck, body, names)
            SELECT a.id, newsroom_0009_fold(a.headline), newsroom_0009_fold(a.deck),
                   newsroom_0009_fold_html(a.body),
                   (SELECT group_concat(newsroom_0009_fold(p.name), char(10))
                    FROM {contribution} c JOIN {person} p ON p.id = c.person_id
                    WHERE c.article_id = a.id)
            FROM {article} a
            """  # noqa: S608 (table names from the models; no outside text)
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0008_listing_indexes"),
        ("people", "0002_photo_as_image"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
