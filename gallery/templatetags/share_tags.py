"""The album page's share links section, loaded by its own tag so the album view stays as it is."""

from __future__ import annotations

from typing import Any

from django import template

from gallery import selectors
from gallery.forms import AlbumShareForm
from gallery.models import Album

register = template.Library()


@register.inclusion_tag("gallery/_album_shares.html", takes_context=True)
def album_shares(context: template.Context, album: Album) -> dict[str, Any]:
    """The links of `album` (already the viewer's: album pages get it from album_get_for_user)."""
    return {
        "album": album,
        "shares": list(selectors.album_share_list(album=album)),
        "form": AlbumShareForm(),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
