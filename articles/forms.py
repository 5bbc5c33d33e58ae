"""Admin forms for stories and images."""

from django import forms
from django.contrib.admin.widgets import AdminFileWidget
from django_prose_editor.fields import ProseEditorFormField

from . import images, locking
from .models import Article, Image

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
    # The version the editor opened, carried through the page (rendered by the lease notice
    # include). Not the model's ``version``: the save bumps the stored number, never this one.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    # Who is saving; the admin sets it on the form class it builds for each request
    # (LockingAdminMixin.get_form). Without it only the version is checked.
    editing_user = None

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("loaded_version", self.instance.version)

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is not None:
            # Runs inside the admin's transaction: the row stays locked until the save ends.
            try:
                locking.guard_save(
                    self.instance,
                    loaded_version=cleaned_data.get("loaded_version"),
                    user=self.editing_user,
                )
            except locking.EditConflict as conflict:
                raise forms.ValidationError(str(conflict), code="edit_conflict") from None
        return cleaned_data


class ImageUploadField(forms.FileField):
    """An upload checked by ``articles.images.prepare_upload``, cleaned to its stored copy.

    Used instead of Django's ``ImageField`` form field, which opens the file with every
    Pillow plugin and words each refusal the same way; this one says what was wrong, and
    what it returns (upright, without location metadata, correctly named) is what storage
    receives. Nothing is written before the whole form is valid.
    """

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        return images.prepare_upload(upload)


def _focal_widget() -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"})


class ImageAdminForm(forms.ModelForm):
    file = ImageUploadField(
        label="Image file",
        widget=AdminFileWidget(attrs={"accept": images.ACCEPT_ATTRIBUTE}),
    )

    class Meta:
        model = Image
        fields = ["file", "alt_text", "caption", "credit", "focal_x", "focal_y"]
        widgets = {"focal_x": _focal_widget(), "focal_y": _focal_widget()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Per form, so the limits shown are the settings in force.
        self.fields["file"].help_text = images.upload_requirements()
