import pytest
from django.urls import reverse

from articles.models import Article, Contribution

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    ["articles_article", "articles_section", "articles_source", "articles_tag", "people_person"],
)
def test_admin_changelist_and_add_pages_render(admin_client, sample_story, name):
    assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:{name}_add")).status_code == 200


def test_admin_story_page_shows_bylines_and_credits_apart(admin_client, sample_story):
    response = admin_client.get(reverse("admin:articles_article_change", args=[sample_story.pk]))
    assert response.status_code == 200
    bylines = response.context["inline_admin_formsets"][0]
    credits = response.context["inline_admin_formsets"][1]
    assert [f.instance.person.name for f in bylines.formset.forms] == ["Cao Desheng"]
    assert [f.instance.person.name for f in credits.formset.forms] == [
        "Zhong Wenxing",
        "Liang Jun",
    ]


def test_admin_refuses_the_same_person_twice_in_a_role(admin_client, sample_story):
    url = reverse("admin:articles_article_change", args=[sample_story.pk])
    response = admin_client.get(url)
    data = {}
    for key, value in response.context["adminform"].form.initial.items():
        if value is not None:
            data[key] = value
    data["tags"] = "Xi Jinping"
    data["section"] = sample_story.section_id
    data["source"] = sample_story.source_id
    data["published_at_0"] = "2023-09-15"
    data["published_at_1"] = "08:55:00"
    for formset in response.context["inline_admin_formsets"]:
        fs = formset.formset
        prefix = fs.prefix
        forms = fs.forms
        data[f"{prefix}-TOTAL_FORMS"] = len(forms)
        data[f"{prefix}-INITIAL_FORMS"] = len(forms)
        for i, form in enumerate(forms):
            for field in form.fields:
                value = form.initial.get(field)
                if value is not None:
                    data[f"{prefix}-{i}-{field}"] = getattr(value, "pk", value)
    credit_prefix = response.context["inline_admin_formsets"][1].formset.prefix
    # Credit Liang Jun a second time as web editor.
    data[f"{credit_prefix}-1-person"] = data[f"{credit_prefix}-0-person"]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "listed twice in the same role" in response.content.decode()
    assert Contribution.objects.filter(article=sample_story, kind="credit").count() == 2
    assert Article.objects.get(pk=sample_story.pk).headline == sample_story.headline
