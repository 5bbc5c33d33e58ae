"""``{% section_nav_items %}``: the section links of every public page's header.

The base layout prints a link per section with ``aria-current`` on the one the page
belongs to ("page" on the section's own page, "true" on a page inside it). As a template
loop that was a dozen lookups a section on every page; here it is a few formatted strings,
byte for byte what the loop printed (``newsroom/tests/test_site_chrome.py`` compares).
Reads ``nav_sections``, ``current_section`` and ``request`` from the context.
"""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

register = template.Library()

_NO_SECTION = object()


@register.simple_tag(takes_context=True)
def section_nav_items(context) -> SafeString:
    current = context.get("current_section")
    current_pk = getattr(current, "pk", _NO_SECTION)
    path = getattr(context.get("request"), "path", "")
    items = []
    for section in context.get("nav_sections") or ():
        url = section.get_absolute_url()
        current_mark = ""
        if section.pk == current_pk:
            current_mark = f' aria-current="{"page" if path == url else "true"}"'
        items.append(
            f'<li><a href="{conditional_escape(url)}"{current_mark}>'
            f"{conditional_escape(section.name)}</a></li>"
        )
    return SafeString("".join(items))
