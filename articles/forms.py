"""Admin forms for stories."""

from django import forms
from django_prose_editor.fields import ProseEditorFormField

from .models import Article

# What the body editor offers: a newsroom's needs, no more. The same allow-list is enforced on
# the server by articles.richtext on every save, whatever the client sends.
BODY_EDITOR_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Heading": {"levels": [2, 3, 4]},
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HardBreak": True,
}


class ArticleAdminForm(forms.ModelForm):
    body = ProseEditorFormField(
        required=False,
        config={"extensions": BODY_EDITOR_EXTENSIONS},
        sanitize=True,
    )

    class Meta:
        model = Article
        fields = [
            "headline",
            "deck",
            "body",
            "summary",
            "section",
            "article_type",
            "source",
            "dateline_place",
            "slug",
        ]
