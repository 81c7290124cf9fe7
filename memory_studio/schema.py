"""The OpenAPI schema documents the errors the API really answers.

`AutoSchema` adds to every operation the error responses that apply to it (what
memory_studio.api.exception_handler produces), unless the view documents that code itself:

- 400 `ValidationError` for operations with a request body or query filters (field errors,
  `non_field_errors`);
- 403 `Error` where a login is needed (401 too if the first authenticator sends a
  `WWW-Authenticate` challenge: DRF answers 403 otherwise);
- 404 `Error` for paths with ids, and for paginated lists (a page out of range);
- 413 `Error` for request bodies (too large for the server's limits);
- 415 `Error` for request bodies sent in a media type the operation does not take;
- 429 `Error` where the view is throttled;
- 503 `Error` everywhere (the database, storage or face model is down).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

from memory_studio.api import ErrorSerializer

_BODY_METHODS = {"POST", "PUT", "PATCH"}

VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Field errors: each field (or `non_field_errors`) maps to a list of messages; list and "
        "nested fields map to an object of such errors. Some answers add a `detail`."
    ),
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "additionalProperties": True},
        ]
    },
}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code, (description, schema) in self._error_responses().items():
            if code in responses:
                continue
            if schema is None:
                schema = self.resolve_serializer(ErrorSerializer, "response").ref
            responses[code] = {
                "content": {"application/json": {"schema": schema}},
                "description": description,
            }
        return responses

    def _validation_error_ref(self) -> dict[str, str]:
        component = ResolvedComponent(  # type: ignore[no-untyped-call]  # drf-spectacular has no types here
            name="ValidationError",
            type=ResolvedComponent.SCHEMA,
            object="ValidationError",
            schema=VALIDATION_ERROR_SCHEMA,
        )
        self.registry.register_on_missing(component)
        return dict(component.ref)

    def _error_responses(self) -> dict[str, tuple[str, dict[str, str] | None]]:
        view = self.view
        errors: dict[str, tuple[str, dict[str, str] | None]] = {}
        has_body = self.method in _BODY_METHODS
        if has_body or self._has_query_filters():
            errors["400"] = ("Invalid input; the body names the fields.", self._validation_error_ref())
        if not all(isinstance(p, AllowAny) for p in view.get_permissions()):
            authenticators = view.get_authenticators()
            if authenticators and authenticators[0].authenticate_header(view.request) is not None:
                errors["401"] = ("Not logged in, or the credentials are invalid.", None)
            errors["403"] = ("Not logged in, or not allowed.", None)
        if "{" in self.path or self._is_paginated():
            errors["404"] = ("No such object (or not yours), or no such page.", None)
        if has_body:
            errors["413"] = ("The request body is too large.", None)
            errors["415"] = ("The request body's media type is not accepted here.", None)
        if view.get_throttles():
            errors["429"] = ("Too many requests; `Retry-After` says when to try again.", None)
        errors["503"] = ("A service the API needs is down; nothing was changed. See `Retry-After`.", None)
        return errors

    def _has_query_filters(self) -> bool:
        """Query parameters the view validates (declared with extend_schema), besides `page`."""
        return any(
            getattr(parameter, "location", None) == "query" for parameter in self.get_override_parameters()
        )

    def _is_paginated(self) -> bool:
        if self.method != "GET" or getattr(self.view, "pagination_class", None) is None:
            return False
        return bool(self._is_list_view())
