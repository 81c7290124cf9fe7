"""Database ids in untrusted input (URLs, forms, JSON): one rule for what may name a row."""

from __future__ import annotations

from typing import Any

# The largest id a supported database stores (a signed 64-bit integer; SQLite's too). A larger
# number names nothing, and some drivers refuse to send it.
MAX_DB_ID = 2**63 - 1


def db_id(value: Any) -> int | None:
    """`value` as a database id, or None when it is malformed, not positive or beyond any id."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_DB_ID else None
