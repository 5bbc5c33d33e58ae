from django.contrib import admin

from .models import Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "job_title", "affiliation", "user"]
    search_fields = ["name", "affiliation"]
    autocomplete_fields = ["user", "photo"]
    fields = ["name", "slug", "job_title", "affiliation", "expertise", "bio", "photo", "user"]
