"""Server-rendered gallery pages: check access, validate, call one service, render or redirect."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.preferences import user_time_zone
from accounts.views import landing_for_visitors
from gallery import selectors, services, viewer
from gallery.forms import (
    AlbumChoiceForm,
    AlbumCoverForm,
    AlbumForm,
    AlbumMoveForm,
    AlbumSortForm,
    PhotoEditForm,
    PhotoFilterForm,
    PhotoPickForm,
)
from gallery.images import DuplicatePhoto, InvalidImage
from gallery.models import Album, Photo
from gallery.responses import (
    album_zip_name,
    photos_zip_response,
    selection_zip_name,
    zip_download_refusal,
)
from gallery.serializers import ViewerOutputSerializer
from gallery.storage import StorageUnavailable
from gallery.templatetags.gallery_tags import trash_undo_tags
from gallery.timeline import jump_years, timeline_groups
from memory_studio.ids import db_id
from people import selectors as people_selectors
from recognition.runtime import active_model_key

if TYPE_CHECKING:
    from accounts.models import User


def _user(request: HttpRequest) -> User:
    return cast("User", request.user)


def _page(request: HttpRequest, photos: QuerySet[Photo]) -> Page[Photo]:
    return Paginator(photos, settings.GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))


def _timeline(
    request: HttpRequest, photos: QuerySet[Photo], filters: selectors.PhotoFilters
) -> dict[str, object]:
    """The page of `photos` asked for, in date groups, and the jump-to list of the whole list."""
    page = _page(request, photos)
    zone = user_time_zone(request.user)
    previous = photos[page.start_index() - 2] if page.number > 1 else None
    page_size = settings.GALLERY_PAGE_SIZE
    months = selectors.photo_months(photos, filters=filters, zone=zone, page_size=page_size)
    return {
        "page": page,
        "groups": timeline_groups(
            list(page.object_list), date_field=filters.date_field, zone=zone, previous=previous
        ),
        "jump_years": jump_years(months) if len(months) > 1 else [],
        "oldest_first": not filters.newest_first,
    }


@landing_for_visitors
@require_GET
def photo_list(request: HttpRequest) -> HttpResponse:
    """The timeline: the user's photos under date headers (gallery.timeline), newest taken first.

    `?q=` searches titles, captions and file names, `?ordering=` sorts by taken or uploaded date
    (gallery.selectors.PHOTO_ORDERINGS), `?status=failed` shows only the photos whose face
    detection failed, `?person=<id>` (repeatable) only those in which all these persons appear;
    they combine, and survive paging and the jump-to links."""
    filter_form = PhotoFilterForm(request.GET)
    filters = filter_form.filters()
    failed = Photo.IndexStatus.FAILED
    failed_count = selectors.photo_list_for_user(user=request.user, index_status=failed).count()
    only_failed = request.GET.get("status") == failed
    photos = selectors.photo_list_for_user(
        user=request.user, index_status=failed if only_failed else None, filters=filters
    )
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
            **_timeline(request, photos, filters),
            "filter_form": filter_form,
            "searching": bool(filters.q),
            "failed_count": failed_count,
            "only_failed": only_failed,
            "persons": persons,
            "viewer_query": viewer.grid_query(
                only_failed=only_failed, person_ids=[p.pk for p in persons], filters=filters
            ),
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
            except DuplicatePhoto as exc:
                # Already in the trash: the message offers to restore it (a plain form).
                tags = trash_undo_tags([exc.existing_id], restore=True) if exc.in_trash else ""
                messages.error(request, _named(upload.name, exc.message), extra_tags=tags)
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
    """A photo with its details, faces, albums and edit form; a photo in the trash is shown as
    such, with Restore and Delete forever (and cannot be edited)."""
    photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id, trashed=None)
    if photo.trashed_at is not None:
        if request.method == "POST":
            raise Http404(_("No such photo."))
        return render(request, "gallery/photo_trashed.html", {"photo": photo})
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
    """Move a photo to the trash (GET asks first); the message offers to undo it."""
    photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id)
    if request.method == "POST":
        services.photos_trash(owner=_user(request), photos=[photo])
        messages.success(
            request,
            _("Moved “%(title)s” to the trash.") % {"title": photo.display_title},
            extra_tags=trash_undo_tags([photo.pk]),
        )
        return redirect("gallery:photo_list")
    return render(
        request, "gallery/photo_confirm_delete.html", {"photo": photo, "trash_days": settings.TRASH_DAYS}
    )


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
    albums = list(selectors.album_list_for_user(user=request.user))
    covers = selectors.album_covers(albums=albums)
    return render(
        request,
        "gallery/album_list.html",
        {"albums": [(album, covers.get(album.pk)) for album in albums], "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def album_detail(request: HttpRequest, album_id: int) -> HttpResponse:
    """The album's photos in its order; POST renames it."""
    album = selectors.album_get_for_user(user=request.user, album_id=album_id)
    form = AlbumForm(request.POST or None, initial={"name": album.name})
    if request.method == "POST" and form.is_valid():
        services.album_update(album=album, name=form.cleaned_data["name"])
        messages.success(request, _("Album renamed."))
        return redirect("gallery:album_detail", album_id=album.pk)
    filter_form = PhotoFilterForm(request.GET)
    filters = filter_form.filters()  # the search; the album's own sort orders it
    page = _page(request, selectors.album_photo_list(album=album, filters=filters))
    # Arranging works on the whole album, so not on a search's subset of it.
    manual = album.sort_order == Album.SortOrder.MANUAL and not filters.q
    return render(
        request,
        "gallery/album_detail.html",
        {
            "album": album,
            "page": page,
            "form": form,
            "filter_form": filter_form,
            "searching": bool(filters.q),
            "hide_ordering": True,  # the album's sort (below) orders it
            "oldest_first": album.sort_order == Album.SortOrder.OLDEST,
            "sort_form": AlbumSortForm(initial={"sort_order": album.sort_order}),
            "manual_order": manual,
            # The whole order, for the drag-and-drop script (it sends every id back).
            "order_ids": selectors.album_photo_ids(album=album) if manual else None,
            "viewer_query": viewer.album_query(album),
        },
        status=400 if request.method == "POST" else 200,
    )


def _album_page_of(album: Album, photo: Photo) -> str:
    """The album page's address showing this photo, at its tile."""
    ids = selectors.album_photo_ids(album=album)
    number = ids.index(photo.pk) // settings.GALLERY_PAGE_SIZE + 1 if photo.pk in ids else 1
    address = reverse("gallery:album_detail", kwargs={"album_id": album.pk})
    return (
        f"{address}?page={number}#album-photo-{photo.pk}"
        if number > 1
        else f"{address}#album-photo-{photo.pk}"
    )


@login_required
@require_POST
def album_sort(request: HttpRequest, album_id: int) -> HttpResponse:
    """Sort the album's photos: custom order, newest or oldest taken first."""
    album = selectors.album_get_for_user(user=request.user, album_id=album_id)
    form = AlbumSortForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how to sort the photos."))
        return redirect("gallery:album_detail", album_id=album.pk)
    services.album_update(album=album, sort_order=form.cleaned_data["sort_order"])
    messages.success(request, _("Sorted: %(order)s.") % {"order": album.get_sort_order_display()})
    return redirect("gallery:album_detail", album_id=album.pk)


@login_required
@require_POST
def album_cover(request: HttpRequest, album_id: int) -> HttpResponse:
    """Make one of the album's photos its cover; no photo goes back to the first photo."""
    album = selectors.album_get_for_user(user=request.user, album_id=album_id)
    form = AlbumCoverForm(request.POST)
    if not form.is_valid():
        raise Http404(_("No such photo."))
    photo_id = form.cleaned_data["photo"]
    photo = None if photo_id is None else selectors.photo_get_for_user(user=request.user, photo_id=photo_id)
    try:
        services.album_set_cover(album=album, photo=photo)
    except services.AlbumChangeError as exc:
        messages.error(request, exc.message)
        return redirect("gallery:album_detail", album_id=album.pk)
    if photo is None:
        messages.success(request, _("The album's first photo is its cover again."))
        return redirect("gallery:album_detail", album_id=album.pk)
    messages.success(request, _("Album cover set."))
    return redirect(_album_page_of(album, photo))


@login_required
@require_POST
def album_move_photo(request: HttpRequest, album_id: int, photo_id: int) -> HttpResponse:
    """Move a photo one place earlier or later in the album (the keyboard's way to reorder)."""
    album = selectors.album_get_for_user(user=request.user, album_id=album_id)
    photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id)
    form = AlbumMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose where to move the photo."))
        return redirect("gallery:album_detail", album_id=album.pk)
    offset = -1 if form.cleaned_data["direction"] == "earlier" else 1
    try:
        services.album_move_photo(album=album, photo=photo, offset=offset)
    except services.AlbumChangeError as exc:
        messages.error(request, exc.message)
        return redirect("gallery:album_detail", album_id=album.pk)
    return redirect(_album_page_of(album, photo))


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


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page a form came from (its `next` field, if it is on this site)."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@login_required
@require_POST
def photos_download(request: HttpRequest) -> HttpResponseBase:
    """The posted photos (`photos`, repeated ids) as one zip of their originals, streamed."""
    photo_ids = request.POST.getlist("photos")
    # Counted before any lookup: a huge list is refused without a query.
    refusal = zip_download_refusal(len(set(photo_ids)))
    if refusal is not None:
        messages.error(request, refusal)
        return _back(request, "gallery:photo_list")
    ids = [db_id(value) for value in photo_ids]
    if None in ids:
        raise Http404(_("No such photo."))
    photos = selectors.photos_for_user_by_ids(user=request.user, photo_ids=cast("list[int]", ids))
    return photos_zip_response(photos=photos, filename=selection_zip_name())


@login_required
@require_GET
def album_download(request: HttpRequest, album_id: int) -> HttpResponseBase:
    """The album's photos (those not in the trash) as one zip of their originals, streamed."""
    album = selectors.album_get_for_user(user=request.user, album_id=album_id)
    photos = selectors.album_photos_to_download(album=album)
    refusal = zip_download_refusal(photos.count())
    if refusal is not None:
        messages.error(request, refusal)
        return redirect("gallery:album_detail", album_id=album.pk)
    return photos_zip_response(photos=list(photos), filename=album_zip_name(album))
