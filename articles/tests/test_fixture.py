import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.serializers.base import DeserializationError
from django.db import IntegrityError

from articles.models import Article, Contribution, Section, Source, State, Tag
from people.models import Person

pytestmark = pytest.mark.django_db

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "sample_story.json"

ALL_MODELS = (Article, Contribution, Section, Source, Tag, Person)


def counts():
    return {model.__name__: model.objects.count() for model in ALL_MODELS}


def test_sample_story_fixture_loads_the_story():
    call_command("loaddata", "sample_story", verbosity=0)
    article = Article.objects.get()
    assert article.headline == "Xi: Build model general offices of Party, governments"
    assert article.state == State.PUBLISHED
    assert article.source.name == "China Daily"
    assert [c.person.name for c in article.bylines] == ["Cao Desheng"]
    assert [(c.role, c.person.name) for c in article.credits] == [
        ("Web editor", "Zhong Wenxing"),
        ("Web editor", "Liang Jun"),
    ]
    assert article.section.name
    assert len(article.tag_list) >= 1
    assert article.body.count("<p>") == 8
    assert Article.objects.published().filter(pk=article.pk).exists()


def test_loading_the_fixture_twice_changes_nothing():
    call_command("loaddata", "sample_story", verbosity=0)
    first = counts()
    call_command("loaddata", "sample_story", verbosity=0)
    assert counts() == first
    assert first["Article"] == 1
    assert first["Person"] == 3
    assert Person.objects.filter(name="Cao Desheng").count() == 1


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_malformed_json_fails_clearly_and_changes_nothing(tmp_path):
    before = counts()
    path = write(tmp_path, "broken.json", '[{"model": "articles.section", "fields": {')
    with pytest.raises((DeserializationError, CommandError)) as excinfo:
        call_command("loaddata", path, verbosity=0)
    assert "broken.json" in str(excinfo.value)
    assert counts() == before


def test_fixture_failing_halfway_rolls_back_what_it_loaded(tmp_path):
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    # Everything valid up to the article, whose section does not exist.
    article = next(obj for obj in fixture if obj["model"] == "articles.article")
    article["fields"]["section"] = ["no-such-section"]
    path = write(tmp_path, "halfway.json", json.dumps(fixture))
    before = counts()
    with pytest.raises(IntegrityError) as excinfo:
        call_command("loaddata", path, verbosity=0)
    assert "Problem installing fixture" in str(excinfo.value)
    assert "halfway.json" in str(excinfo.value)
    assert counts() == before
    assert not Source.objects.filter(slug="china-daily").exists()
