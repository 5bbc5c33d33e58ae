import pytest
from django.db import IntegrityError, transaction

from articles.models import Article, Contribution, RelatedLink, Section, Tag
from articles.tests.factories import ArticleFactory, PublishedArticleFactory, SectionFactory
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("headline", "slug"),
    [
        ("习近平会见外宾", "xi-jin-ping-hui-jian-wai-bin"),
        ("محمد بن سلمان يزور بكين", "mhmd-bn-slmn-yzwr-bkyn"),
        ("Café société: élan à Zürich", "cafe-societe-elan-a-zurich"),
        ("Москва и Пекин", "moskva-i-pekin"),
        ("東京オリンピック", "dong-jing-o-ri-n-pi-t-ku"),
    ],
)
def test_slug_is_readable_ascii_for_any_script(headline, slug):
    article = ArticleFactory(headline=headline, slug="")
    assert article.slug == slug


def test_slug_never_empty():
    assert ArticleFactory(headline="!!! … ???", slug="").slug == "story"
    assert ArticleFactory(headline="🗞️", slug="").slug == "newspaper2"


def test_slugs_stay_unique_for_the_same_headline():
    slugs = [ArticleFactory(headline="习近平会见外宾", slug="").slug for _ in range(3)]
    assert slugs == ["xi-jin-ping-hui-jian-wai-bin", "xi-jin-ping-hui-jian-wai-bin-2",
                     "xi-jin-ping-hui-jian-wai-bin-3"]  # fmt: skip


def test_long_headline_slug_is_cut_at_a_word():
    article = ArticleFactory(headline="word " * 40, slug="")
    assert len(article.slug) <= 80
    assert not article.slug.endswith("-")
    assert set(article.slug.split("-")) == {"word"}


def test_person_and_tag_slugs_transliterate():
    assert PersonFactory(name="曹德胜").slug == "cao-de-sheng"
    assert PersonFactory(name="José Ñúñez").slug == "jose-nunez"
    article = ArticleFactory()
    article.tags.add("中国共产党", "Zürich")
    assert sorted(Tag.objects.values_list("slug", flat=True)) == [
        "zhong-guo-gong-chan-dang",
        "zurich",
    ]


def test_section_slug_may_not_shadow_site_paths():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        Section(name="Search", slug="search").full_clean()


@pytest.mark.parametrize(
    "payload",
    [
        "<p>ok</p><script>alert(1)</script>",
        '<p onclick="alert(1)">ok</p>',
        '<p><a href="javascript:alert(1)">ok</a></p>',
        "<p><img src=x onerror=alert(1)>ok</p>",
        '<p style="background:url(javascript:alert(1))">ok</p>',
        '<iframe src="https://evil.example"></iframe><p>ok</p>',
    ],
)
def test_body_is_sanitised_on_every_kind_of_write(payload):
    checks = ("<script", "onclick", "onerror", "javascript:", "<iframe", "style=", "<img")

    def assert_clean(html):
        assert "ok" in html
        for bad in checks:
            assert bad not in html.lower()

    article = ArticleFactory(body=payload)
    assert_clean(article.body)
    assert_clean(Article.objects.get(pk=article.pk).body)

    Article.objects.filter(pk=article.pk).update(body=payload)
    assert_clean(Article.objects.get(pk=article.pk).body)

    [bulk] = Article.objects.bulk_create(
        [Article(headline="Bulk", slug="bulk", body=payload, section=article.section)]
    )
    assert_clean(Article.objects.get(pk=bulk.pk).body)


def test_sanitiser_keeps_the_newsroom_toolbar():
    html = (
        "<h2>Head</h2><p><strong>b</strong> <em>i</em> "
        '<a href="https://example.org/" title="t">link</a></p>'
        "<ul><li>one</li></ul><ol><li>two</li></ol><blockquote><p>quote</p></blockquote>"
    )
    body = ArticleFactory(body=html).body
    for tag in ("<h2>", "<strong>", "<em>", "<ul>", "<ol>", "<li>", "<blockquote>"):
        assert tag in body
    assert 'href="https://example.org/"' in body
    assert 'rel="noopener noreferrer"' in body


def test_related_link_points_to_a_story_or_a_url_not_both():
    article = ArticleFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RelatedLink.objects.create(article=article)
    with pytest.raises(IntegrityError), transaction.atomic():
        RelatedLink.objects.create(
            article=article, target=PublishedArticleFactory(), url="https://x.example/"
        )


def test_a_person_is_credited_once_per_role():
    article = ArticleFactory()
    person = PersonFactory()
    Contribution.objects.create(article=article, person=person, kind="credit", role="Web editor")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contribution.objects.create(
            article=article, person=person, kind="credit", role="Web editor"
        )


def test_byline_and_credit_proxies_see_only_their_kind():
    from articles.models import Byline, Credit

    article = ArticleFactory()
    byline = Byline.objects.create(article=article, person=PersonFactory())
    credit = Credit.objects.create(article=article, person=PersonFactory(), role="Web editor")
    assert byline.kind == "byline" and credit.kind == "credit"
    assert list(Byline.objects.values_list("pk", flat=True)) == [byline.pk]
    assert list(Credit.objects.values_list("pk", flat=True)) == [credit.pk]


def test_natural_keys_round_trip():
    article = PublishedArticleFactory()
    article.tags.add("Energy")
    contribution = Contribution.objects.create(article=article, person=PersonFactory())
    section = SectionFactory()
    assert Article.objects.get_by_natural_key(*article.natural_key()) == article
    assert Section.objects.get_by_natural_key(*section.natural_key()) == section
    assert Contribution.objects.get_by_natural_key(*contribution.natural_key()) == contribution
    tagged = article.tagged_items.get()
    assert type(tagged).objects.get_by_natural_key(*tagged.natural_key()) == tagged
