"""Request body parsers for the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# The API's JSON bodies are flat objects and lists of ids: depth 2 at most. The bound leaves
# room, and keeps every document far from Python's recursion limit (about 1,000 levels), where
# the json module raises RecursionError, a 500 through DRF's own parser.
MAX_JSON_DEPTH = 32


def _nested_deeper_than(data: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` levels (iterative: no recursion of our own)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if not isinstance(value, Mapping | list):
            continue
        if depth > limit:
            return True
        children = value.values() if isinstance(value, Mapping) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, Mapping | list))
    return False


def _too_deep() -> ParseError:
    return ParseError(
        _("JSON parse error - the document is nested more than %(depth)d levels deep.")
        % {"depth": MAX_JSON_DEPTH}
    )


class BoundedJSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a document nested deeper than MAX_JSON_DEPTH with a ParseError
    (400), never a RecursionError (500). (DRF reads a JSON body through `request.body`, so
    Django's DATA_UPLOAD_MAX_MEMORY_SIZE already bounds its size.)"""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        if _nested_deeper_than(data, MAX_JSON_DEPTH):
            raise _too_deep()
        return data
