"""Shared parts of the REST API: one exception handler, the error bodies, pagination.

Views raise the application's own exceptions and never build error responses themselves;
`exception_handler` (REST_FRAMEWORK["EXCEPTION_HANDLER"]) is the one place that maps them to
HTTP answers, after the HackSoft styleguide. The error serializers here are what the schema
documents (memory_studio.schema adds them to every operation they apply to).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView, set_rollback
from rest_framework.views import exception_handler as drf_exception_handler

from memory_studio.errors import RETRY_AFTER_SECONDS, unavailable_message


class ErrorSerializer(serializers.Serializer[Any]):
    """Every error answer has a human-readable `detail`."""

    detail = serializers.CharField(help_text="What went wrong, for people.")


class DuplicatePhotoErrorSerializer(ErrorSerializer):
    image = serializers.ListField(child=serializers.CharField())
    existing_id = serializers.IntegerField(help_text="The photo you already have with these bytes.")
    in_trash = serializers.BooleanField(
        help_text="That photo is in your trash: restore it (`POST /api/trash/restore/`) instead."
    )


class ServiceUnavailable(exceptions.APIException):
    """A service the API depends on (database, storage, face model) is down: 503, Retry-After."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy("The service is temporarily unavailable. Try again in a moment.")
    default_code = "service_unavailable"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "payload_too_large"


class UnprocessableQuery(exceptions.APIException):
    """Well-formed input that cannot be answered (e.g. a search photo without a face)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map the application's exceptions to API answers; the rest is DRF's default handling.

    - gallery.images.DuplicatePhoto → 409 `{detail, image: [..], existing_id, in_trash}`
    - gallery.images.InvalidImage → 400 `{image: [..]}` (a field error on the upload; also
      StorageQuotaExceeded)
    - recognition.search.NoFaceInQueryError → 422 `{detail, query_faces: []}`
    - recognition.search.SearchError → 422 `{detail}`
    - people.services.PeopleError (a request about persons that cannot be done) → 400 `{detail}`
    - database / storage / face model unavailable → 503 `{detail}` with Retry-After
    - Http404 → 404, PermissionDenied → 403, an oversized body → 413, other suspicious input → 400
    """
    from gallery.images import DuplicatePhoto, InvalidImage
    from people.services import PeopleError
    from recognition.search import NoFaceInQueryError, SearchError

    extra: dict[str, Any] = {}
    if isinstance(exc, DuplicatePhoto):
        set_rollback()
        body = {
            "detail": exc.message,
            "image": [exc.message],
            "existing_id": exc.existing_id,
            "in_trash": exc.in_trash,
        }
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, InvalidImage):
        exc = exceptions.ValidationError({"image": [exc.message]})
    elif isinstance(exc, NoFaceInQueryError):
        exc, extra = UnprocessableQuery(str(exc)), {"query_faces": []}
    elif isinstance(exc, SearchError):
        exc = UnprocessableQuery(str(exc))
    elif isinstance(exc, PeopleError):
        exc = exceptions.ValidationError({"detail": exc.message})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(_("Bad request."))
    elif (message := unavailable_message(exc)) is not None:
        exc = ServiceUnavailable(message)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if extra and isinstance(response.data, dict):
        response.data.update(extra)
    if response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ApiPagination(PageNumberPagination):
    """Page-number pagination; API_PAGE_SIZE is read per request (tests change it)."""

    def __init__(self) -> None:
        self.page_size = api_settings.PAGE_SIZE


class PaginatedListMixin:
    """For APIViews that list: the paginator the schema documents, and the one used."""

    pagination_class = ApiPagination

    def paginated_response(
        self,
        request: Request,
        queryset: QuerySet[Any],
        serializer_class: type[serializers.BaseSerializer[Any]],
    ) -> Response:
        paginator = self.pagination_class()
        assert isinstance(self, APIView)
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = serializer_class(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)
