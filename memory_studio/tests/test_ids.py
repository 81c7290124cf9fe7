"""The one rule for database ids in untrusted input."""

from __future__ import annotations

import pytest

from memory_studio.ids import MAX_DB_ID, db_id

pytestmark = pytest.mark.nodb


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("42", 42),
        (MAX_DB_ID, MAX_DB_ID),
        (str(MAX_DB_ID), MAX_DB_ID),
        (MAX_DB_ID + 1, None),
        (2**70, None),
        (0, None),
        (-5, None),
        ("-5", None),
        ("1.5", None),
        ("abc", None),
        ("", None),
        (None, None),
        (True, None),
        ([1], None),
    ],
)
def test_db_id(value, expected):
    assert db_id(value) == expected
