"""Server-rendered gallery pages: check access, validate, call one service, render or redirect."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gallery import selectors, services, viewer
from gallery.forms import AlbumChoiceForm, AlbumForm, PhotoEditForm, PhotoPickForm
from gallery.images import InvalidImage
from gallery.models import Photo
from gallery.serializers import ViewerOutputSerializer
from gallery.storage import StorageUnavailable
from people import selectors as people_selectors
from recognition.runtime import active_model_key

if TYPE_CHECKING:
    from accounts.models import User


def _user(request: HttpRequest) -> User:
    return cast("User", request.user)


def _page(request: HttpRequest, photos: QuerySet[Photo]) -> Page[Photo]:
    return Paginator(photos, settings.GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
@require_GET
def photo_list(request: HttpRequest) -> HttpResponse:
    """The grid; `?status=failed` shows only the photos whose face detection failed, `?person=<id>`
    (repeatable) only those in which all these persons appear."""
    failed = Photo.IndexStatus.FAILED
    failed_count = selectors.photo_list_for_user(user=request.user, index_status=failed).count()
    only_failed = request.GET.get("status") == failed
    photos = selectors.photo_list_for_user(user=request.user, index_status=failed if only_failed else None)
    persons = []
    person_ids = request.GET.getlist("person")
    if person_ids:
        persons = people_selectors.persons_by_ids_for_user(user=request.user, person_ids=person_ids)
        photos = people_selectors.photos_with_persons(
            user=request.user, persons=persons, model_key=active_model_key(), photos=photos
        )
    return render(
        request,
        "gallery/photo_list.html",
        {
            "page": _page(request, photos),
            "failed_count": failed_count,
            "only_failed": only_failed,
            "persons": persons,
            "viewer_query": viewer.grid_query(only_failed=only_failed, person_ids=[p.pk for p in persons]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def photo_upload(request: HttpRequest) -> HttpResponse:
    """The drag-and-drop page (its script posts each file to the API); without JavaScript,
    the form posts here and each file is created on its own."""
    if request.method == "POST":
        files = request.FILES.getlist("images")
        if not files:
            messages.error(request, _("Choose at least one photo to upload."))
        created = 0
        for upload in files:
            try:
                photo = services.photo_create(owner=_user(request), upload=upload)
                created += 1
                if photo.index_status == Photo.IndexStatus.FAILED:
                    messages.warning(request, _index_outcome_message(photo, name=upload.name))
            except InvalidImage as exc:
                messages.error(request, _named(upload.name, exc.message))
            except StorageUnavailable as exc:
                messages.error(request, _named(upload.name, exc.message))
        if created:
            messages.success(
                request,
                ngettext("Uploaded %(count)d photo.", "Uploaded %(count)d photos.", created)
                % {"count": created},
            )
            return redirect("gallery:photo_list")
    return render(
        request,
        "gallery/photo_upload.html",
        {"max_upload_bytes": settings.MAX_UPLOAD_BYTES},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def photo_detail(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id)
    form = PhotoEditForm(request.POST or None, initial={"title": photo.title, "caption": photo.caption})
    if request.method == "POST" and form.is_valid():
        services.photo_update(
            photo=photo, title=form.cleaned_data["title"], caption=form.cleaned_data["caption"]
        )
        messages.success(request, _("Saved."))
        return redirect("gallery:photo_detail", photo_id=photo.pk)
    albums = list(selectors.album_list_for_user(user=request.user))
    member_ids = set(photo.albums.values_list("id", flat=True))
    in_albums = [a for a in albums if a.pk in member_ids]
    other_albums = [a for a in albums if a.pk not in member_ids]
    model_key = active_model_key()
    faces = people_selectors.photo_face_persons(photo=photo, model_key=model_key)
    named = people_selectors.person_list_for_user(
        user=request.user, model_key=model_key, hidden=None, named=True
    )
    # The grid's order is (taken_at, id), newest first: a burst of photos with the same taken_at
    # is stepped through by id, none skipped.
    neighbours = selectors.photo_list_for_user(user=request.user)
    same_time = Q(taken_at=photo.taken_at)
    newer = (
        neighbours.filter(Q(taken_at__gt=photo.taken_at) | (same_time & Q(id__gt=photo.pk)))
        .order_by("taken_at", "id")
        .first()
    )
    older = (
        neighbours.filter(Q(taken_at__lt=photo.taken_at) | (same_time & Q(id__lt=photo.pk)))
        .order_by("-taken_at", "-id")
        .first()
    )
    return render(
        request,
        "gallery/photo_detail.html",
        {
            "photo": photo,
            "form": form,
            "in_albums": in_albums,
            "other_albums": other_albums,
            "newer": newer,
            "older": older,
            "faces": faces,
            "person_names": sorted({p.name for p in named[:500]}),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def photo_view(request: HttpRequest, photo_id: int) -> HttpResponse:
    """The full-screen viewer: one photo on a dark page with links to the photos before and after
    it in the order the query string names (gallery.viewer), so it works without JavaScript;
    static/js/viewer.js steps through photos in place from the same data (and the JSON API)."""
    place = viewer.viewer_place(user=_user(request), photo_id=photo_id, params=request.GET)
    # Without the request, media URLs stay paths on this site (or S3's signed URLs).
    data = ViewerOutputSerializer(place, context={"viewer_query": place.query}).data
    return render(
        request,
        "gallery/photo_viewer.html",
        {"place": place, "photo": place.photo, "neighbours": place.neighbours, "viewer_data": data},
    )


def _named(name: str | None, message: str) -> str:
    """A message about one uploaded file, led by the file's name."""
    return _("%(name)s: %(message)s") % {"name": name, "message": message}


def _index_outcome_message(photo: Photo, *, name: str | None = None) -> str:
    status = photo.index_status
    if status == Photo.IndexStatus.INDEXED:
        text = ngettext("%(count)d face found.", "%(count)d faces found.", photo.face_count) % {
            "count": photo.face_count
        }
    elif status == Photo.IndexStatus.NO_FACES:
        text = _("No face found.")
    elif status == Photo.IndexStatus.FAILED:
        text = _("Face detection failed: %(reason)s") % {"reason": photo.index_error}
    else:
        text = _("Face detection will run shortly.")
    return _named(name, text) if name else text


@login_required
@require_POST
def photo_reindex(request: HttpRequest, photo_id: int) -> HttpResponse:
    """Retry face detection on one of your photos (the Retry button of a failed one)."""
    photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id)
    photo = services.photo_reindex(photo=photo)
    level = messages.ERROR if photo.index_status == Photo.IndexStatus.FAILED else messages.SUCCESS
    messages.add_message(request, level, _index_outcome_message(photo))
    return redirect("gallery:photo_detail", photo_id=photo.pk)


@login_required
@require_http_methods(["GET", "POST"])
def photo_delete(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id)
    if request.method == "POST":
        services.photo_delete(photo=photo)
        messages.success(request, _("Deleted “%(title)s”.") % {"title": photo.display_title})
        return redirect("gallery:photo_list")
    return render(request, "gallery/photo_confirm_delete.html", {"photo": photo})


@login_required
@require_POST
def photo_add_to_album(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id)
    form = AlbumChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an album."))
        return redirect("gallery:photo_detail", photo_id=photo.pk)
    album = selectors.album_get_for_user(user=request.user, album_id=form.cleaned_data["album"])
    services.album_add_photos(album=album, photos=[photo])
    messages.success(request, _("Added to “%(name)s”.") % {"name": album.name})
    return redirect("gallery:photo_detail", photo_id=photo.pk)


@login_required
@require_http_methods(["GET", "POST"])
def album_list(request: HttpRequest) -> HttpResponse:
    form = AlbumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        album = services.album_create(owner=_user(request), name=form.cleaned_data["name"])
        messages.success(request, _("Created album “%(name)s”.") % {"name": album.name})
        return redirect("gallery:album_detail", album_id=album.pk)
    albums = selectors.album_list_for_user(user=request.user)
    return render(
        request,
        "gallery/album_list.html",
        {"albums": albums, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def album_detail(request: HttpRequest, album_id: int) -> HttpResponse:
    """The album's photos; POST renames it."""
    album = selectors.album_get_for_user(user=request.user, album_id=album_id)
    form = AlbumForm(request.POST or None, initial={"name": album.name})
    if request.method == "POST" and form.is_valid():
        services.album_update(album=album, name=form.cleaned_data["name"])
        messages.success(request, _("Album renamed."))
        return redirect("gallery:album_detail", album_id=album.pk)
    page = _page(request, selectors.album_photo_list(album=album))
    return render(
        request,
        "gallery/album_detail.html",
        {"album": album, "page": page, "form": form, "viewer_query": viewer.album_query(album)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def album_delete(request: HttpRequest, album_id: int) -> HttpResponse:
    album = selectors.album_get_for_user(user=request.user, album_id=album_id)
    if request.method == "POST":
        services.album_delete(album=album)
        messages.success(
            request,
            _("Deleted album “%(name)s”; its photos are still in your gallery.") % {"name": album.name},
        )
        return redirect("gallery:album_list")
    return render(request, "gallery/album_confirm_delete.html", {"album": album})


@login_required
@require_http_methods(["GET", "POST"])
def album_add_photos(request: HttpRequest, album_id: int) -> HttpResponse:
    """Pick photos (from the user's gallery, not yet in the album) to add."""
    album = selectors.album_get_for_user(user=request.user, album_id=album_id)
    if request.method == "POST":
        form = PhotoPickForm(request.POST, photos=selectors.photo_list_for_user(user=request.user))
        if form.is_valid():
            photos = list(form.cleaned_data["photo_ids"])
            services.album_add_photos(album=album, photos=photos)
            count = len(photos)
            messages.success(
                request,
                ngettext("Added %(count)d photo.", "Added %(count)d photos.", count) % {"count": count},
            )
            return redirect("gallery:album_detail", album_id=album.pk)
        if form.picked_a_photo_not_offered():
            raise Http404(_("No such photo."))
        messages.error(request, _("Select at least one photo."))
    candidates = selectors.photo_list_for_user(user=request.user).exclude(albums=album)
    page = _page(request, candidates)
    return render(request, "gallery/album_add_photos.html", {"album": album, "page": page})


@login_required
@require_POST
def album_remove_photo(request: HttpRequest, album_id: int, photo_id: int) -> HttpResponse:
    album = selectors.album_get_for_user(user=request.user, album_id=album_id)
    photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id)
    services.album_remove_photos(album=album, photos=[photo])
    messages.success(request, _("Removed “%(title)s” from the album.") % {"title": photo.display_title})
    return redirect("gallery:album_detail", album_id=album.pk)
