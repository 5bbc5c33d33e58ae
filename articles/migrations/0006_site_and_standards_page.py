from django.conf import settings
from django.db import migrations

STANDARDS_URL = "/standards/"
STANDARDS_TITLE = "Standards and corrections policy"
STANDARDS_BODY = """
<p>We aim to be accurate, fair and clear about how we work.</p>
<h2>Corrections</h2>
<p>When we get something wrong we correct it on the story, saying what changed and when.
Corrections, updates and clarifications are listed at the foot of each story, newest first,
and carried in the story's structured data.</p>
<h2>Labels</h2>
<p>Every story is labelled with its type — News, Analysis, Opinion, Feature and so on — so
readers can tell reporting from comment. Sponsored content is always labelled as such.</p>
<h2>Bylines and sources</h2>
<p>Stories carry the names of the people who wrote and edited them. Copy from partners and
agencies names its source publication after the byline.</p>
<h2>Withdrawals</h2>
<p>In rare cases a story is withdrawn; its address then says so rather than vanishing.</p>
<p>Editors can change this page in the admin, under Flat pages.</p>
""".strip()


def set_up_site(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    FlatPage = apps.get_model("flatpages", "FlatPage")
    site, _ = Site.objects.update_or_create(
        pk=settings.SITE_ID,
        defaults={"domain": settings.NEWSROOM_DOMAIN, "name": settings.NEWSROOM_NAME},
    )
    page, _ = FlatPage.objects.get_or_create(
        url=STANDARDS_URL,
        defaults={"title": STANDARDS_TITLE, "content": STANDARDS_BODY},
    )
    page.sites.add(site)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0005_search_gin_index"),
        ("sites", "0002_alter_domain_unique"),
        ("flatpages", "0001_initial"),
    ]

    operations = [migrations.RunPython(set_up_site, migrations.RunPython.noop)]
