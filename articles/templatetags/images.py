"""``{% picture image "lead" %}``: a responsive ``<picture>`` from an image's renditions.

``{% load images %}``, then ``{% picture image "card" sizes="(min-width: 40rem) 20rem, 100vw" %}``.
The set names are those of ``articles.images.RENDITION_SETS``; ``sizes`` defaults to the
set's own, ``priority`` (True for "lead") loads the image eagerly with high fetch priority
instead of lazily. Prints nothing for ``None``. Reads only the image row the page already
loaded: no query, no storage access.

A simple tag over ``articles.images.picture_html`` rather than an inclusion tag: listing pages
print one picture per story, and rendering a template (with its context push) for each cost
more than building the element in Python. The markup lives in ``picture_html``.
"""

from django import template

from articles import images

register = template.Library()


@register.simple_tag
def picture(image, set_name: str, sizes: str = "", priority=None, css_class: str = ""):
    return images.picture_html(
        image, set_name, sizes=sizes or None, priority=priority, css_class=css_class
    )
