"""Readable ASCII slugs for text in any script.

Django's ``slugify`` drops what it cannot keep, so a Chinese or Arabic headline would give an
empty slug. We transliterate first (anyascii: small, dependency-free, covers every script),
keeping each CJK ideograph a word of its own so "习近平" reads "xi-jin-ping", then slugify.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from anyascii import anyascii
from django.utils.text import slugify as django_slugify


def _is_ideograph(char: str) -> bool:
    # East Asian wide characters (Han, kana, hangul) transliterate to a syllable each.
    return unicodedata.east_asian_width(char) in {"W", "F"} and not char.isascii()


def transliterate(text: str) -> str:
    parts: list[str] = []
    for char in text:
        if char.isascii():
            parts.append(char)
        elif _is_ideograph(char):
            parts.append(f" {anyascii(char)} ")
        else:
            parts.append(anyascii(char))
    return "".join(parts)


def slugify(text: str, *, max_length: int = 80, fallback: str = "item") -> str:
    """A lowercase ASCII slug of ``text``, cut at a word boundary; never empty."""
    slug = django_slugify(transliterate(text or ""))
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug.strip("-") or fallback


def unique_slug(
    text: str,
    exists: Callable[[str], bool],
    *,
    max_length: int = 80,
    fallback: str = "item",
) -> str:
    """``slugify(text)``, suffixed ``-2``, ``-3``… until ``exists(slug)`` is false."""
    base = slugify(text, max_length=max_length, fallback=fallback)
    candidate, n = base, 1
    while exists(candidate):
        n += 1
        suffix = f"-{n}"
        candidate = base[: max_length - len(suffix)].rstrip("-") + suffix
    return candidate
