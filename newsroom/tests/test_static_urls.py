"""Static addresses are remembered per storage: the manifest is read once, so its answer
for a name cannot change until settings make a new storage."""

from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command


def test_static_addresses_are_looked_up_once(settings, tmp_path, monkeypatch):
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", interactive=False, verbosity=0)
    staticfiles_storage.url("css/site.css")  # makes the storage for these settings
    storage = staticfiles_storage._wrapped
    looked_up = []
    real = type(storage).stored_name

    def counting(self, name):
        looked_up.append(name)
        return real(self, name)

    monkeypatch.setattr(type(storage), "stored_name", counting)
    storage._remembered_urls.clear()
    first = storage.url("css/site.css")
    assert first != f"{settings.STATIC_URL}css/site.css"  # the hashed name
    assert first.startswith(f"{settings.STATIC_URL}css/site.")
    assert storage.url("css/site.css") == first
    assert looked_up == ["css/site.css"]


def test_new_settings_make_a_new_storage_with_new_addresses(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", interactive=False, verbosity=0)
    hashed = staticfiles_storage.url("css/site.css")
    settings.STATIC_URL = "https://static.example.com/"
    assert staticfiles_storage.url("css/site.css") == hashed.replace(
        "/static/", "https://static.example.com/", 1
    )
