import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Create (or reset) the local demo accounts and print their passwords. "
        "Local mode only: refuses to run when DEBUG is off."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Refusing to create demo accounts in production mode (DJANGO_DEBUG is off)."
            )
        User = get_user_model()
        with transaction.atomic():
            password = secrets.token_urlsafe(12)
            user, _ = User.objects.get_or_create(username="admin")
            user.is_staff = user.is_superuser = True
            user.email = user.email or "admin@localhost"
            user.set_password(password)
            user.save()
        self.stdout.write(self.style.SUCCESS("Local accounts (passwords change on every run):"))
        self.stdout.write(f"  superuser  username: admin  password: {password}")
        self.stdout.write("  sign in at http://127.0.0.1:8000/admin/")
