"""The benchmark's look inside Django, run by bench/run.py in a subprocess with its environment.

- ``pick``: the URLs each endpoint is loaded with (a rotating set of stories, sections, tags,
  people and search terms from the seeded database), as JSON on stdout.
- ``queries``: SQL queries per request for given URLs, through Django's test client with
  ``CaptureQueriesContext``: the first request and a repeat of it. The runner calls it once
  with the page cache off (cold) and once with it on (warm: the repeat is the cached answer).
- ``publish EVERY SECONDS``: the desk at work during a run: every EVERY seconds for SECONDS,
  a live story is saved again (an edit of a live story, as a correction or a publish is), so
  the content generation goes up and every cached page must be made again. Prints how many.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from articles.models import Article, Section, Tag  # noqa: E402
from people.models import Person  # noqa: E402

ROTATION = 100


def pick(rotation: int = ROTATION) -> dict[str, list[str]]:
    rng = random.Random(6)  # noqa: S311 - a repeatable pick, not a secret
    live = list(Article.objects.published().select_related("section").order_by("?")[:rotation])
    if not live:
        raise SystemExit("The database has no published stories: seed it first.")
    tags = Tag.objects.filter(tagged_articles__isnull=False).distinct().order_by("?")
    people = Person.objects.filter(contributions__isnull=False).distinct().order_by("?")
    # Search terms: words of live headlines, so every search finds stories.
    words = sorted({w.lower() for a in live for w in a.headline.split(":")[-1].split()})
    return {
        "article": [a.get_absolute_url() for a in live],
        "home": ["/"],
        "section": [s.get_absolute_url() for s in Section.objects.all()],
        "tag": [t.get_absolute_url() for t in tags[:rotation]],
        "person": [p.get_absolute_url() for p in people[:rotation]],
        "search": [f"/search/?q={w}" for w in rng.sample(words, min(len(words), 20))],
        "feed": ["/feeds/rss/"],
        "sitemap": ["/sitemap-articles.xml"],
    }


def count_queries(urls: dict[str, str]) -> dict[str, dict]:
    """Queries of the first and of a repeated request to each URL, with their statuses.

    The repeat is the steady state a loaded server sees (per-process lookups such as the
    current Site are done by then); with the page cache on, it is the cached answer.
    """
    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for name, url in urls.items():
        result = {}
        for attempt in ("first", "repeat"):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            result[attempt] = len(captured.captured_queries)
            result[f"{attempt}_status"] = response.status_code
        counts[name] = result
    return counts


def publish(every: float, seconds: float) -> int:
    rng = random.Random(7)  # noqa: S311 - a repeatable pick, not a secret
    live = list(Article.objects.published().values_list("pk", flat=True)[:1000])
    saves = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() + every <= deadline:
        time.sleep(every)
        story = Article.objects.get(pk=rng.choice(live))
        story.save()  # The signals raise the content generation, as any live edit does.
        saves += 1
    return saves


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "pick":
        sys.stdout.write(json.dumps(pick()))
    elif command == "queries":
        sys.stdout.write(json.dumps(count_queries(json.loads(sys.argv[2]))))
    elif command == "publish":
        sys.stdout.write(json.dumps({"saves": publish(float(sys.argv[2]), float(sys.argv[3]))}))
    else:
        raise SystemExit(
            'usage: django_side.py pick | queries \'{"name": "/url/"}\' | publish EVERY SECONDS'
        )
