"""The trash pages: list, restore, delete forever, empty. Thin views over gallery.services."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gallery import selectors, services
from gallery.forms import PhotoPickForm
from gallery.models import Photo

if TYPE_CHECKING:
    from accounts.models import User


def _user(request: HttpRequest) -> User:
    return cast("User", request.user)


def _picked(request: HttpRequest) -> list[Photo] | None:
    """The trashed photos picked in the POST (`photo_ids`); None when none was picked; Http404
    when any id is not a photo in the user's trash (nothing is done then)."""
    form = PhotoPickForm(request.POST, photos=selectors.photo_list_for_user(user=request.user, trashed=True))
    if form.is_valid():
        return list(form.cleaned_data["photo_ids"])
    if form.picked_a_photo_not_offered():
        raise Http404(_("No such photo."))
    return None


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page named in `next` (this site's, e.g. the photo page after an Undo)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


@login_required
@require_GET
def trash_list(request: HttpRequest) -> HttpResponse:
    """The trashed photos, most recently trashed first, with the days left before each goes."""
    page = Paginator(selectors.trash_list_for_user(user=request.user), settings.GALLERY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "gallery/trash_list.html", {"page": page, "trash_days": settings.TRASH_DAYS})


@login_required
@require_POST
def trash_restore(request: HttpRequest) -> HttpResponse:
    """Put the picked photos back (the trash page, and the Undo after a delete)."""
    photos = _picked(request)
    if photos is None:
        messages.error(request, _("Select at least one photo."))
        return redirect("gallery:trash_list")
    count = services.photos_restore(owner=_user(request), photos=photos)
    messages.success(
        request,
        ngettext("Restored %(count)d photo.", "Restored %(count)d photos.", count) % {"count": count},
    )
    return _back(request, "gallery:trash_list")


@login_required
@require_POST
def trash_delete(request: HttpRequest) -> HttpResponse:
    """Delete the picked photos for good: a first POST shows what will go and asks to confirm
    (no JavaScript needed); the confirmed POST deletes."""
    photos = _picked(request)
    if photos is None:
        messages.error(request, _("Select at least one photo."))
        return redirect("gallery:trash_list")
    if request.POST.get("confirm") != "1":
        return render(request, "gallery/trash_confirm_delete.html", {"photos": photos})
    count = services.photos_delete_forever(owner=_user(request), photos=photos)
    messages.success(
        request,
        ngettext("Deleted %(count)d photo for good.", "Deleted %(count)d photos for good.", count)
        % {"count": count},
    )
    return redirect("gallery:trash_list")


@login_required
@require_http_methods(["GET", "POST"])
def trash_empty(request: HttpRequest) -> HttpResponse:
    """Empty the trash: GET asks to confirm, POST deletes every trashed photo for good."""
    trash = selectors.trash_list_for_user(user=request.user)
    if request.method == "POST":
        count = services.trash_empty(owner=_user(request))
        messages.success(
            request,
            ngettext(
                "Emptied the trash: %(count)d photo deleted for good.",
                "Emptied the trash: %(count)d photos deleted for good.",
                count,
            )
            % {"count": count},
        )
        return redirect("gallery:trash_list")
    return render(request, "gallery/trash_confirm_empty.html", {"count": trash.count()})
