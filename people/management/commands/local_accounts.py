import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from newsroom.site import absolute_url
from people.models import Person

# username, display name, role group (None: superuser)
DEMO_ACCOUNTS = [
    ("admin", "Site Administrator", None),
    ("reporter", "Rita Reporter", "Reporter"),
    ("editor", "Eddie Editor", "Editor"),
    ("publisher", "Paula Publisher", "Publisher"),
]


class Command(BaseCommand):
    help = (
        "Create (or reset) the local demo accounts, one per role, and print their passwords. "
        "Local mode only: refuses to run when DEBUG is off."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Refusing to create demo accounts in production mode (DJANGO_DEBUG is off)."
            )
        User = get_user_model()
        lines = []
        with transaction.atomic():
            for username, full_name, role in DEMO_ACCOUNTS:
                password = secrets.token_urlsafe(12)
                first, last = full_name.split(" ", 1)
                user, _ = User.objects.get_or_create(username=username)
                user.first_name, user.last_name = first, last
                user.email = user.email or f"{username}@localhost"
                user.is_staff = True
                user.is_superuser = role is None
                user.set_password(password)
                user.save()
                if role:
                    user.groups.set([Group.objects.get(name=role)])
                    Person.objects.get_or_create(
                        user=user, defaults={"name": full_name, "job_title": role}
                    )
                lines.append(
                    f"  {(role or 'superuser').lower():<10} username: {username:<10} "
                    f"password: {password}"
                )
        self.stdout.write(self.style.SUCCESS("Local accounts (passwords change on every run):"))
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(f"  sign in at {absolute_url('/admin/')}")
