"""articles/templatetags/listings.py prints what the templates it replaced printed."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from articles.templatetags.listings import _time

DATE_FILTERS = Template(
    '<time datetime="{{ value|date:\'c\' }}">{{ value|date:"H:i, F j, Y" }}</time>'
)


@pytest.mark.parametrize("language", ["en", "de", "zh-hans"])
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "UTC"])
def test_story_time_is_what_the_date_filter_prints(language, zone):
    start = datetime(2023, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    with translation.override(language), timezone.override(zone):
        for hours in range(0, 24 * 400, 97):
            value = start + timedelta(hours=hours, minutes=hours % 60)
            assert _time(value) == DATE_FILTERS.render(Context({"value": value}))


def test_a_story_without_a_time_prints_an_empty_time():
    assert _time(None) == '<time datetime=""></time>'
