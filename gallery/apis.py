"""REST API for photos and albums: one APIView per resource, explicit input/output serializers.

Every object is looked up through the owner-scoped selectors, so other users' ids are 404.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponseBase
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.preferences import user_time_zone
from accounts.requests import signed_in_user
from gallery import selectors, services
from gallery.images import size_over_limit_message
from gallery.models import Album, Photo
from gallery.responses import (
    album_zip_name,
    login_redirect_for_browser,
    photos_zip_response,
    selection_zip_name,
    storage_file_response,
    zip_download_refusal,
)
from gallery.serializers import (
    AlbumOutputSerializer,
    PhotoIdsOutputSerializer,
    PhotoOutputSerializer,
    ViewerOutputSerializer,
)
from gallery.storage import MEDIA_KINDS
from gallery.viewer import viewer_place
from memory_studio.api import DuplicatePhotoErrorSerializer, ErrorSerializer, PaginatedListMixin
from memory_studio.ids import MAX_DB_ID, db_id
from memory_studio.parsers import BoundedJSONParser
from people.selectors import photos_with_persons_for_user
from recognition.search import STRICTNESS

BULK_ACTIONS = (
    ("add_to_album", "add_to_album"),
    ("remove_from_album", "remove_from_album"),
    ("trash", "trash"),
    ("restore", "restore"),
)

# Room for the multipart envelope and the small text fields around one file.
_MULTIPART_OVERHEAD = 64 * 1024


def refuse_oversized_body(request: Request) -> None:
    """Refuse a body that cannot hold an acceptable file before Django spools it to disk."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = settings.MAX_UPLOAD_BYTES
    if length > limit + _MULTIPART_OVERHEAD:
        raise serializers.ValidationError({"image": [size_over_limit_message(None, limit)]})


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Dates a time zone can move a day either way and the database still store.
_FIRST_DAY, _LAST_DAY = dt.date(2, 1, 1), dt.date(9998, 12, 31)


class DateOrDateTimeField(serializers.Field):  # type: ignore[type-arg]
    """An ISO 8601 date (`2026-11-29`) or datetime (`2026-11-29T09:30`, optionally with an
    offset: `2026-11-29T09:30+09:00`, `...Z`), read as a date or a datetime (naive if no offset)."""

    default_error_messages = {
        "invalid": gettext_lazy(
            "Enter a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDThh:mm, optionally with an offset)."
        ),
        "range": gettext_lazy("Enter a date between the years 2 and 9998."),
    }

    def to_internal_value(self, data: Any) -> dt.date | dt.datetime:
        text = data.strip() if isinstance(data, str) else ""
        value: dt.date | dt.datetime | None
        try:
            value = dt.date.fromisoformat(text) if _ISO_DATE.fullmatch(text) else parse_datetime(text)
        except ValueError:  # well-formed but impossible, e.g. 2026-02-30 or 25:00
            value = None
        if value is None:
            self.fail("invalid")
        day = value.date() if isinstance(value, dt.datetime) else value
        if not _FIRST_DAY <= day <= _LAST_DAY:
            self.fail("range")
        return value

    def to_representation(self, value: Any) -> str:
        return str(value.isoformat())


class PhotoListQuerySerializer(serializers.Serializer[Any]):
    """The filters of a photo list (query parameters); see gallery.selectors.PhotoFilters."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=selectors.SEARCH_MAX_LENGTH)
    taken_after = DateOrDateTimeField(required=False)
    taken_before = DateOrDateTimeField(required=False)
    ordering = serializers.ChoiceField(
        choices=list(selectors.PHOTO_ORDERINGS), required=False, allow_blank=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        after, before = attrs.get("taken_after"), attrs.get("taken_before")
        if after is not None and before is not None:
            zone = self.context["zone"]
            if selectors.local_moment(after, zone=zone) >= selectors.local_moment(before, zone=zone):
                raise serializers.ValidationError(
                    {"taken_before": [_("taken_before must be later than taken_after.")]}
                )
        return attrs

    def filters(self) -> selectors.PhotoFilters:
        data = self.validated_data
        return selectors.PhotoFilters(
            q=data.get("q", ""),
            taken_after=data.get("taken_after"),
            taken_before=data.get("taken_before"),
            ordering=data.get("ordering") or selectors.DEFAULT_PHOTO_ORDERING,
        )


def photo_filters(request: Request) -> selectors.PhotoFilters:
    """The request's photo list filters; a ValidationError (400) names the bad parameters."""
    serializer = PhotoListQuerySerializer(
        data=request.query_params, context={"zone": user_time_zone(request.user)}
    )
    serializer.is_valid(raise_exception=True)
    return serializer.filters()


PHOTO_FILTER_PARAMETERS = [
    OpenApiParameter(
        "q",
        str,
        description="Only photos whose title, caption or original file name contain every word "
        "(case-insensitive).",
    ),
    OpenApiParameter(
        "taken_after",
        str,
        description="Only photos taken at or after this moment (inclusive). An ISO 8601 date "
        "(`2026-11-29`: the start of that day in your time zone) or datetime (`2026-11-29T09:30`, "
        "your local time unless it has an offset such as `+09:00` or `Z`).",
    ),
    OpenApiParameter(
        "taken_before",
        str,
        description="Only photos taken before this moment (exclusive), in the same formats: "
        "`taken_after=2026-11-29&taken_before=2026-11-30` is the 29th in your time zone. "
        "Must be later than `taken_after`.",
    ),
    OpenApiParameter(
        "ordering",
        str,
        enum=list(selectors.PHOTO_ORDERINGS),
        description="Sort by taken or uploaded date; `-` for newest first (default `-taken_at`). "
        "Photos with the same date are ordered by id in the same direction.",
    ),
]


class PhotoListApi(PaginatedListMixin, APIView):
    """List your photos (newest taken first; filters and sort order as query parameters) or
    upload one (multipart field `image`)."""

    parser_classes = (MultiPartParser,)  # a file upload: multipart only

    class PhotoCreateInputSerializer(serializers.Serializer[Any]):
        image = serializers.FileField(allow_empty_file=True)
        title = serializers.CharField(max_length=services.TITLE_MAX, required=False, allow_blank=True)
        caption = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(
        parameters=[
            *PHOTO_FILTER_PARAMETERS,
            OpenApiParameter(
                "person",
                int,
                many=True,
                description="Only photos showing this person; repeat for photos where all of them appear.",
            ),
        ],
        responses=PhotoOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        photos = selectors.photo_list_for_user(user=request.user, filters=photo_filters(request))
        person_ids = request.query_params.getlist("person")
        if person_ids:
            photos = photos_with_persons_for_user(user=request.user, person_ids=person_ids, photos=photos)
        return self.paginated_response(request, photos, PhotoOutputSerializer)

    @extend_schema(
        request={"multipart/form-data": PhotoCreateInputSerializer},
        responses={
            201: PhotoOutputSerializer,
            409: OpenApiResponse(
                DuplicatePhotoErrorSerializer,
                description="An exact duplicate; `existing_id` names it, `in_trash` says it is in the trash.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        refuse_oversized_body(request)
        serializer = self.PhotoCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        photo = services.photo_create(
            owner=signed_in_user(request),
            upload=data["image"],
            title=data.get("title", ""),
            caption=data.get("caption", ""),
        )
        output = PhotoOutputSerializer(photo, context={"request": request})
        return Response(output.data, status=status.HTTP_201_CREATED)


class PhotoDetailApi(APIView):
    """Read, edit (title, caption) or delete one of your photos. Deleting moves it to the trash
    (restorable for TRASH_DAYS: `/api/trash/restore/`); photos in the trash are 404 here."""

    parser_classes = (BoundedJSONParser, MultiPartParser, FormParser)

    class PhotoUpdateInputSerializer(serializers.Serializer[Any]):
        title = serializers.CharField(max_length=services.TITLE_MAX, required=False, allow_blank=True)
        caption = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(responses=PhotoOutputSerializer)
    def get(self, request: Request, photo_id: int) -> Response:
        photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id)
        return Response(PhotoOutputSerializer(photo, context={"request": request}).data)

    @extend_schema(request=PhotoUpdateInputSerializer, responses=PhotoOutputSerializer)
    def patch(self, request: Request, photo_id: int) -> Response:
        photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id)
        serializer = self.PhotoUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        photo = services.photo_update(
            photo=photo,
            title=serializer.validated_data.get("title"),
            caption=serializer.validated_data.get("caption"),
        )
        return Response(PhotoOutputSerializer(photo, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, photo_id: int) -> Response:
        photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id)
        services.photos_trash(owner=signed_in_user(request), photos=[photo])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhotoReindexApi(APIView):
    """Run face detection on one of your photos again (e.g. after it failed).

    200 with the photo and the outcome when indexing runs inline (no job queue); 202 with the
    photo, pending, when a background worker will do it.
    """

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(PhotoOutputSerializer, description="Indexed again; the outcome inline."),
            202: OpenApiResponse(PhotoOutputSerializer, description="Queued; `index_status` is pending."),
        },
    )
    def post(self, request: Request, photo_id: int) -> Response:
        photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id)
        photo = services.photo_reindex(photo=photo)
        pending = photo.index_status == photo.IndexStatus.PENDING
        return Response(
            PhotoOutputSerializer(photo, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED if pending else status.HTTP_200_OK,
        )


class AlbumInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=services.ALBUM_NAME_MAX)

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("An album needs a name."))
        return value


class AlbumListApi(PaginatedListMixin, APIView):
    """List your albums or create one."""

    @extend_schema(responses=AlbumOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        albums = selectors.album_list_for_user(user=request.user)
        return self.paginated_response(request, albums, AlbumOutputSerializer)

    @extend_schema(request=AlbumInputSerializer, responses={201: AlbumOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = AlbumInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        album = services.album_create(owner=signed_in_user(request), name=serializer.validated_data["name"])
        album = selectors.album_get_for_user(user=request.user, album_id=album.pk)
        return Response(
            AlbumOutputSerializer(album, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class AlbumDetailApi(APIView):
    """Read, change (name, sort, cover) or delete one of your albums (deleting keeps the photos)."""

    class AlbumUpdateInputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=services.ALBUM_NAME_MAX, required=False)
        sort_order = serializers.ChoiceField(choices=Album.SortOrder.choices, required=False)
        cover = serializers.IntegerField(
            min_value=1,
            required=False,
            allow_null=True,
            help_text="One of the album's photos; null goes back to the default, the first photo.",
        )

        def validate_name(self, value: str) -> str:
            if not value.strip():
                raise serializers.ValidationError(_("An album needs a name."))
            return value

    @extend_schema(responses=AlbumOutputSerializer)
    def get(self, request: Request, album_id: int) -> Response:
        album = selectors.album_get_for_user(user=request.user, album_id=album_id)
        return Response(AlbumOutputSerializer(album, context={"request": request}).data)

    @extend_schema(request=AlbumUpdateInputSerializer, responses=AlbumOutputSerializer)
    def patch(self, request: Request, album_id: int) -> Response:
        album = selectors.album_get_for_user(user=request.user, album_id=album_id)
        serializer = self.AlbumUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cover: Photo | Literal[services.Keep.KEEP] | None = services.KEEP
        if "cover" in data:
            cover = (
                None
                if data["cover"] is None
                else selectors.photo_get_for_user(user=request.user, photo_id=data["cover"])
            )
        try:
            services.album_update(
                album=album, name=data.get("name"), sort_order=data.get("sort_order"), cover=cover
            )
        except services.AlbumChangeError as exc:
            raise serializers.ValidationError({"cover": [exc.message]}) from None
        album = selectors.album_get_for_user(user=request.user, album_id=album.pk)
        return Response(AlbumOutputSerializer(album, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, album_id: int) -> Response:
        album = selectors.album_get_for_user(user=request.user, album_id=album_id)
        services.album_delete(album=album)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlbumOrderApi(APIView):
    """Put an album's photos in your own order: `photos` lists every photo of the album (outside
    the trash) once, first to last. The album is then sorted by this custom order."""

    parser_classes = (BoundedJSONParser,)

    class AlbumOrderInputSerializer(serializers.Serializer[Any]):
        photos = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=True)

    @extend_schema(request=AlbumOrderInputSerializer, responses=PhotoIdsOutputSerializer)
    def put(self, request: Request, album_id: int) -> Response:
        album = selectors.album_get_for_user(user=request.user, album_id=album_id)
        serializer = self.AlbumOrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data["photos"]
        by_id = {p.pk: p for p in selectors.photos_for_user_by_ids(user=request.user, photo_ids=ids)}
        try:
            services.album_set_order(album=album, photos=[by_id[pk] for pk in ids])
        except services.AlbumChangeError as exc:
            raise serializers.ValidationError({"photos": [exc.message]}) from None
        return Response({"photos": selectors.album_photo_ids(album=album)})


class AlbumPhotosApi(PaginatedListMixin, APIView):
    """List the photos of an album in its order (custom, newest or oldest first: `sort_order`), or
    add photos to it (`photo_ids`; they go to the end of its custom order)."""

    class AlbumPhotosInputSerializer(serializers.Serializer[Any]):
        photo_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1)

    @extend_schema(parameters=PHOTO_FILTER_PARAMETERS, responses=PhotoOutputSerializer(many=True))
    def get(self, request: Request, album_id: int) -> Response:
        album = selectors.album_get_for_user(user=request.user, album_id=album_id)
        # The album's own order unless the request asks for another.
        photos = selectors.album_photo_list(
            album=album, filters=photo_filters(request), album_order="ordering" not in request.query_params
        )
        return self.paginated_response(request, photos, PhotoOutputSerializer)

    @extend_schema(request=AlbumPhotosInputSerializer, responses=AlbumOutputSerializer)
    def post(self, request: Request, album_id: int) -> Response:
        album = selectors.album_get_for_user(user=request.user, album_id=album_id)
        serializer = self.AlbumPhotosInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photos = selectors.photos_for_user_by_ids(
            user=request.user, photo_ids=serializer.validated_data["photo_ids"]
        )
        services.album_add_photos(album=album, photos=photos)
        album = selectors.album_get_for_user(user=request.user, album_id=album.pk)
        return Response(AlbumOutputSerializer(album, context={"request": request}).data)


class AlbumPhotoApi(APIView):
    """Remove one photo from an album (the photo stays in the gallery)."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, album_id: int, photo_id: int) -> Response:
        album = selectors.album_get_for_user(user=request.user, album_id=album_id)
        photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id)
        services.album_remove_photos(album=album, photos=[photo])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhotoMediaApi(APIView):
    """A photo's file (original, display or thumbnail), for its owner only.

    Local storage streams the file (session or token auth, so both pages and API clients can
    use the URLs); signed-URL storage (S3) redirects to a short-lived pre-signed URL. A browser
    that is not logged in is sent to the login page; API clients get JSON errors.
    """

    @extend_schema(exclude=True)
    def get(self, request: Request, photo_id: int, kind: str) -> HttpResponseBase:
        if kind not in MEDIA_KINDS:
            raise Http404(_("No such file."))
        # The trash page shows trashed photos: their files stay reachable for their owner.
        photo = selectors.photo_get_for_user(user=request.user, photo_id=photo_id, trashed=None)
        field = getattr(photo, kind)
        original = kind == "original"
        return storage_file_response(
            storage=field.storage,
            name=field.name,
            content_type=photo.mime_type if original else "image/jpeg",
            filename=photo.download_name if original else "",
            download=original and request.query_params.get("download") == "1",
        )

    # A redirect is no DRF Response, but dispatch() returns any HttpResponseBase.
    def handle_exception(self, exc: Exception) -> HttpResponseBase:  # type: ignore[override]
        if isinstance(exc, NotAuthenticated):  # no credentials at all
            redirect = login_redirect_for_browser(self.request)
            if redirect is not None:
                return redirect
        return super().handle_exception(exc)


_ZIP_RESPONSE = {
    (200, "application/zip"): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="A zip of the originals, streamed (no Content-Length): names as uploaded, "
        "`a (2).jpg` on a clash, dates from when each photo was taken.",
    ),
}


class PhotoDownloadApi(APIView):
    """Download your photos (`photos`: ids, those in the trash excluded) as one zip."""

    parser_classes = (BoundedJSONParser, FormParser, MultiPartParser)

    class PhotoDownloadInputSerializer(serializers.Serializer[Any]):
        photos = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=MAX_DB_ID), allow_empty=True
        )

        def validate_photos(self, value: list[int]) -> list[int]:
            refusal = zip_download_refusal(len(set(value)))
            if refusal is not None:
                raise serializers.ValidationError(refusal)
            return value

    @extend_schema(
        request=PhotoDownloadInputSerializer,
        responses={
            **_ZIP_RESPONSE,
            404: OpenApiResponse(ErrorSerializer, description="A photo that is not yours (nothing is sent)."),
        },
    )
    def post(self, request: Request) -> HttpResponseBase:
        serializer = self.PhotoDownloadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photos = selectors.photos_for_user_by_ids(
            user=request.user, photo_ids=serializer.validated_data["photos"]
        )
        return photos_zip_response(photos=photos, filename=selection_zip_name())


class AlbumDownloadApi(APIView):
    """Download the photos of one of your albums (those not in the trash) as one zip."""

    @extend_schema(
        responses={
            **_ZIP_RESPONSE,
            400: OpenApiResponse(
                ErrorSerializer, description="The album has no photos, or more than DOWNLOAD_MAX_PHOTOS."
            ),
        }
    )
    def get(self, request: Request, album_id: int) -> HttpResponseBase:
        album = selectors.album_get_for_user(user=request.user, album_id=album_id)
        photos = selectors.album_photos_to_download(album=album)
        refusal = zip_download_refusal(photos.count())
        if refusal is not None:
            raise serializers.ValidationError({"detail": refusal})
        return photos_zip_response(photos=list(photos), filename=album_zip_name(album))


class PhotoViewerApi(APIView):
    """One of your photos as the full-screen viewer shows it, with the photos before and after it
    in an order named by the query string (the grid's by default; see gallery.viewer): what the
    viewer's script reads to step through photos without reloading the page."""

    @extend_schema(
        parameters=[
            OpenApiParameter("album", int, description="Step through this album's photos."),
            OpenApiParameter("search", str, description="Step through this kept query photo's results."),
            OpenApiParameter(
                "face", int, description="With `search`: which of its faces (default: the one it is about)."
            ),
            OpenApiParameter("face_id", int, description="Step through the results for one of your faces."),
            OpenApiParameter(
                "strictness", str, enum=list(STRICTNESS), description="With `search` or `face_id`."
            ),
            OpenApiParameter("person", int, many=True, description="The grid's filter: photos of all these."),
            OpenApiParameter("status", str, enum=["failed"], description="The grid's filter."),
        ],
        responses={200: ViewerOutputSerializer},
    )
    def get(self, request: Request, photo_id: int) -> Response:
        place = viewer_place(user=signed_in_user(request), photo_id=photo_id, params=request.query_params)
        context = {"request": request, "viewer_query": place.query}
        return Response(ViewerOutputSerializer(place, context=context).data)


@extend_schema_field(OpenApiTypes.INT)
class ObjectIdField(serializers.Field):  # type: ignore[type-arg]
    """An object's id as sent. One that names nothing (malformed, not positive, beyond 64 bits)
    becomes None, which the owner-scoped selectors answer with 404, like someone else's id: a
    client learns nothing from the difference."""

    def to_internal_value(self, data: Any) -> int | None:
        if isinstance(data, bool) or not isinstance(data, int | str):
            return None
        return db_id(data)

    def to_representation(self, value: Any) -> Any:
        return value


class PhotoBulkApi(APIView):
    """Act on many of your photos at once: add them to an album (an existing one, or a new one
    named by `new_album`), remove them from an album, move them to the trash, or restore them
    from it (the undo of a bulk delete).

    All or nothing: if any photo or album is missing, malformed or someone else's, the answer is
    404 and nothing changes. `trash` and the album actions take photos outside the trash,
    `restore` only photos in it (any other counts as missing). At most BULK_MAX_PHOTOS ids.
    """

    class PhotoBulkInputSerializer(serializers.Serializer[Any]):
        action = serializers.ChoiceField(choices=BULK_ACTIONS)
        photos = serializers.ListField(
            child=ObjectIdField(),
            min_length=1,
            max_length=services.BULK_MAX_PHOTOS,
            help_text="Photo ids (duplicates count once).",
        )
        album = ObjectIdField(
            required=False, help_text="The album, for `add_to_album` and `remove_from_album`."
        )
        new_album = serializers.CharField(
            max_length=services.ALBUM_NAME_MAX,
            required=False,
            help_text="For `add_to_album` instead of `album`: create an album with this name.",
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            action = attrs["action"]
            has_album, has_new = "album" in attrs, "new_album" in attrs
            if has_new and action != "add_to_album":
                raise serializers.ValidationError({"new_album": [_("Only for adding to an album.")]})
            if has_new and not attrs["new_album"].strip():
                raise serializers.ValidationError({"new_album": [_("An album needs a name.")]})
            if action == "add_to_album" and has_album == has_new:
                raise serializers.ValidationError(
                    {"album": [_("Name one album: an existing one or a new one, not both.")]}
                )
            if action == "remove_from_album" and not has_album:
                raise serializers.ValidationError({"album": [_("Choose an album.")]})
            return attrs

    class PhotoBulkOutputSerializer(serializers.Serializer[Any]):
        action = serializers.ChoiceField(choices=BULK_ACTIONS)
        requested = serializers.IntegerField(help_text="How many distinct photos the request named.")
        changed = serializers.IntegerField(
            help_text="How many of them changed (added, removed, moved to or out of the trash)."
        )
        album = AlbumOutputSerializer(allow_null=True, help_text="The album, for the album actions.")

    @extend_schema(
        request=PhotoBulkInputSerializer,
        responses={
            200: PhotoBulkOutputSerializer,
            404: OpenApiResponse(
                ErrorSerializer, description="A photo or album that is not yours, or missing (nothing done)."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.PhotoBulkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        action, owner = data["action"], signed_in_user(request)
        with transaction.atomic():
            # Everything is resolved (or refused with 404) before anything is written.
            album = None
            if "album" in data:
                album = selectors.album_get_for_user(user=request.user, album_id=data["album"])
            photos = selectors.photos_for_user_by_ids(
                user=request.user, photo_ids=data["photos"], trashed=action == "restore"
            )
            if action == "trash":
                changed = services.photos_trash(owner=owner, photos=photos)
            elif action == "restore":
                changed = services.photos_restore(owner=owner, photos=photos)
            elif album is None:  # add_to_album with `new_album` (the input serializer checked)
                album, changed = services.album_create_with_photos(
                    owner=owner, name=data["new_album"], photos=photos
                )
            elif action == "add_to_album":
                changed = services.album_add_photos_counted(album=album, photos=photos)
            else:
                changed = services.album_remove_photos_counted(album=album, photos=photos)
            if album is not None and action in ("add_to_album", "remove_from_album"):
                album = selectors.album_get_for_user(user=request.user, album_id=album.pk)
            else:
                album = None
        result = {"action": action, "requested": len(photos), "changed": changed, "album": album}
        return Response(self.PhotoBulkOutputSerializer(result).data)
