"""Album share links as pages: the owner creates and revokes them from the album page; visitors
(anyone with the link, logged in or not) see that album's photos and nothing else.

A visitor's only credential is the link's token: every visitor view starts from
`selectors.album_share_get_by_token` (404 for an unknown, revoked or expired link) and reaches
photos only through `selectors.shared_photo_get`. Shared pages carry no link into the app,
are not indexed, and send no Referer to other sites (the token is in their URL).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.throttling import password_attempt, password_succeeded
from gallery import selectors, services
from gallery.forms import AlbumShareForm, SharePasswordForm
from gallery.models import AlbumShare
from gallery.responses import storage_file_response
from gallery.storage import MEDIA_KINDS
from memory_studio.throttling import client_address

# Session keys: the links whose password this browser gave (with a mark of that password, so
# that changing it locks them again), and the links this session has been counted for.
_UNLOCKED = "shares_unlocked"
_VIEWED = "shares_viewed"
# Visitors' media: a short private cache, so that a revoked link's photos soon leave it too.
SHARED_MEDIA_CACHE_CONTROL = "private, max-age=300"

View = Callable[..., HttpResponseBase]


def shared_page(view: View) -> View:
    """Headers of every visitor answer: not indexed, no Referer to any other site (it would carry
    the token), and pages not kept by the browser (a revoked link must not show from cache).

    `same-origin`, not `no-referrer`: under `no-referrer` Chromium sends `Origin: null` with the
    page's own forms (the password, the language switch), which Django's CSRF check refuses.
    Other sites (S3 included) get no Referer either way; only this server, which knows the
    token, sees it."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response

    return wrapped


# ---------------------------------------------------------------------------------------------
# The owner's side
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def album_share_create(request: HttpRequest, album_id: int) -> HttpResponse:
    """Create a share link; the answer shows it this once (only its hash is stored)."""
    album = selectors.album_get_for_user(user=request.user, album_id=album_id)
    form = AlbumShareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        share, token = services.album_share_create(
            album=album,
            label=data["label"],
            expires_at=data["expiry"],
            password=data["password"],
            allow_download=data["allow_download"],
        )
        url = request.build_absolute_uri(reverse("share:album", kwargs={"token": token}))
        response = render(
            request, "gallery/album_share_created.html", {"album": album, "share": share, "url": url}
        )
        response["Cache-Control"] = "private, no-store"  # the link must not stay in any cache
        return response
    return render(
        request,
        "gallery/album_share_form.html",
        {"album": album, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def album_share_revoke(request: HttpRequest, album_id: int, share_id: int) -> HttpResponse:
    share = selectors.album_share_get_for_user(user=request.user, album_id=album_id, share_id=share_id)
    services.album_share_revoke(share=share)
    messages.success(request, _("The link is revoked: it no longer opens the album."))
    return redirect(reverse("gallery:album_detail", kwargs={"album_id": share.album_id}) + "#shares")


# ---------------------------------------------------------------------------------------------
# The visitor's side
# ---------------------------------------------------------------------------------------------


def _unlock_mark(share: AlbumShare) -> str:
    return salted_hmac("gallery.share.unlocked", share.password_hash).hexdigest()[:32]


def _is_unlocked(request: HttpRequest, share: AlbumShare) -> bool:
    if not share.has_password:
        return True
    unlocked = request.session.get(_UNLOCKED, {})
    return isinstance(unlocked, dict) and unlocked.get(str(share.pk)) == _unlock_mark(share)


def _unlock(request: HttpRequest, share: AlbumShare) -> None:
    if not request.user.is_authenticated:
        request.session.cycle_key()  # a new session id once a secret was given (fixation)
    unlocked = request.session.get(_UNLOCKED, {})
    unlocked = unlocked if isinstance(unlocked, dict) else {}
    unlocked[str(share.pk)] = _unlock_mark(share)
    request.session[_UNLOCKED] = unlocked


def _count_view(request: HttpRequest, share: AlbumShare) -> None:
    """One view per visitor session; the owner looking at their own link is no visitor."""
    if request.user.is_authenticated and request.user.pk == share.album.owner_id:
        return
    viewed = request.session.get(_VIEWED, [])
    viewed = viewed if isinstance(viewed, list) else []
    if share.pk in viewed:
        return
    services.album_share_record_view(share=share)
    request.session[_VIEWED] = [*viewed[-99:], share.pk]


def _password_page(request: HttpRequest, share: AlbumShare, token: str) -> HttpResponse:
    """The password form; a right password unlocks the link for this browser session. Wrong
    ones are limited per client address and per link (THROTTLE_SHARE_PASSWORD_*)."""
    if request.method != "POST":
        return render(request, "gallery/shared/password.html", {"form": SharePasswordForm()})
    form = SharePasswordForm(request.POST)
    idents = {"share_password_ip": client_address(request), "share_password_link": str(share.pk)}
    wait = password_attempt(idents)
    if wait is not None:
        minutes = max(1, math.ceil(wait / 60))
        message = ngettext(
            "Too many wrong passwords. Try again in %(minutes)d minute.",
            "Too many wrong passwords. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        context = {"form": SharePasswordForm(), "refused": message}
        response = render(request, "gallery/shared/password.html", context, status=429)
        response["Retry-After"] = str(math.ceil(wait))
        return response
    if form.is_valid():
        if share.password_matches(form.cleaned_data["password"]):
            password_succeeded(idents)
            _unlock(request, share)
            return redirect("share:album", token=token)
        form.add_error("password", _("That password is not right."))
    return render(request, "gallery/shared/password.html", {"form": form}, status=400)


@shared_page
@require_http_methods(["GET", "POST"])
def shared_album(request: HttpRequest, token: str) -> HttpResponse:
    """The shared album: its photos in album order, or first the password form if it has one."""
    share = selectors.album_share_get_by_token(token=token)
    if not _is_unlocked(request, share):
        return _password_page(request, share, token)
    if request.method == "POST":  # the password form posted again after it was given
        return redirect("share:album", token=token)
    _count_view(request, share)
    photos = selectors.shared_photo_list(share=share)
    page = Paginator(photos, settings.GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "gallery/shared/album.html",
        {"share": share, "album": share.album, "token": token, "page": page},
    )


@shared_page
@require_GET
def shared_photo(request: HttpRequest, token: str, photo_id: int) -> HttpResponse:
    """One photo of the shared album, large, with the album's previous and next photos."""
    share = selectors.album_share_get_by_token(token=token)
    if not _is_unlocked(request, share):
        return redirect("share:album", token=token)
    photo = selectors.shared_photo_get(share=share, photo_id=photo_id)
    # Album order, whatever it is: the neighbours by position in the list of ids.
    ids = list(selectors.shared_photo_list(share=share).values_list("pk", flat=True))
    index = ids.index(photo.pk)
    return render(
        request,
        "gallery/shared/photo.html",
        {
            "share": share,
            "album": share.album,
            "token": token,
            "photo": photo,
            "previous_id": ids[index - 1] if index > 0 else None,
            "next_id": ids[index + 1] if index + 1 < len(ids) else None,
            "position": index + 1,
            "total": len(ids),
        },
    )


@shared_page
@require_GET
def shared_media(request: HttpRequest, token: str, photo_id: int, kind: str) -> HttpResponseBase:
    """A file of a photo of the shared album: thumbnail and display to any visitor who may see
    the album, the original only when the owner allowed downloads."""
    if kind not in MEDIA_KINDS:
        raise Http404(_("No such file."))
    share = selectors.album_share_get_by_token(token=token)
    if not _is_unlocked(request, share):
        raise Http404(_("No such file."))
    original = kind == "original"
    if original and not share.allow_download:
        raise Http404(_("No such file."))
    photo = selectors.shared_photo_get(share=share, photo_id=photo_id)
    field = getattr(photo, kind)
    response = storage_file_response(
        storage=field.storage,
        name=field.name,
        content_type=photo.mime_type if original else "image/jpeg",
        filename=photo.download_name if original else "",
        download=original and request.GET.get("download") == "1",
    )
    if response.status_code == 200:  # not a redirect to a pre-signed URL: that one expires
        response["Cache-Control"] = SHARED_MEDIA_CACHE_CONTROL
    return response
