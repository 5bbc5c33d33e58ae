"""``reverse()`` for the addresses public pages print by the dozen.

A page prints forty or so links (bylines, tags, sections, related stories); Django's
``reverse()`` rebuilds each from the URL patterns every time, about 25 µs apiece. The answer
depends only on the URLconf, the script prefix and the arguments, so it is remembered, up to
``MAX_REMEMBERED`` addresses a process (least recently used go first).

Templates get the same through ``{% url %}``: ``newsroom.templatetags.remembered_urls``,
a builtin of the template engine, replaces Django's tag with one that prints the same,
raises the same errors, and remembers (the site chrome alone has nine links a page).
"""

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

MAX_REMEMBERED = 20_000


@lru_cache(maxsize=MAX_REMEMBERED)
def _reverse(
    urlconf: str, prefix: str, viewname: str, args: tuple, kwargs: tuple, current_app: str | None
) -> str:
    # ``prefix`` is part of the key only: reverse() reads the same script prefix itself.
    return reverse(
        viewname, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app
    )


def remembered_reverse(
    viewname: str, args=(), kwargs: dict | None = None, current_app: str | None = None
) -> str:
    """``reverse()`` with the same arguments, remembered. A view passed as a callable (not
    by name) is reversed each time."""
    if not isinstance(viewname, str):
        return reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    try:
        return _reverse(
            urlconf,
            get_script_prefix(),
            viewname,
            tuple(args),
            tuple(sorted((kwargs or {}).items())),
            current_app,
        )
    except TypeError:  # an argument that cannot be a key (a list, an unsaved model)
        return reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)


def path_to(viewname: str, **kwargs) -> str:
    """``reverse(viewname, kwargs=kwargs)``, remembered."""
    return remembered_reverse(viewname, kwargs=kwargs)
