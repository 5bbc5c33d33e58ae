from pathlib import Path

import pytest

# The wire copy the sample fixture was made from, kept beside the fixture.
SAMPLE_STORY_TXT = Path(__file__).resolve().parent / "fixtures" / "sample_story.txt"


@pytest.fixture
def sample_story_text() -> str:
    return SAMPLE_STORY_TXT.read_text(encoding="utf-8")


@pytest.fixture
def sample_story(db):
    """The seed story, loaded from its fixture as an operator would."""
    from django.core.management import call_command

    from articles.models import Article

    call_command("loaddata", "sample_story", verbosity=0)
    return Article.objects.get(slug="xi-build-model-general-offices-of-party-governments")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads made by a test land in its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
