"""The per-language variables queries as data, and how their JSON answer is read."""

from __future__ import annotations

import json

import pytest

from bridge.server.variable_queries import MAX_VARIABLES, QUERIES, SUMMARY_CHARS, VARIABLES_MIME, query_for
from bridge.server.variables import VariablesUnsupported, parse_listing


def test_python_r_and_julia_have_queries_keyed_by_language_info_name() -> None:
    assert {"python", "r", "julia"} <= set(QUERIES)
    assert query_for("R") is QUERIES["r"] and query_for("bash") is None
    assert QUERIES["r"].route == "display_data" and VARIABLES_MIME in QUERIES["r"].code
    assert QUERIES["python"].route == QUERIES["julia"].route == "user_expression"
    assert not QUERIES["julia"].tested  # documented as untested: no Julia in the test setup


@pytest.mark.parametrize("language", sorted(QUERIES))
def test_each_query_carries_the_bounds(language: str) -> None:
    code = QUERIES[language].code
    assert "%(" not in code
    assert str(MAX_VARIABLES) in code and str(SUMMARY_CHARS) in code


def test_a_listing_is_read_from_json_text_or_json() -> None:
    rows = [{"name": "x", "type": "integer", "summary": "int [1:3] 1 2 3", "size": 3}]
    assert parse_listing(json.dumps(rows)) == rows
    assert parse_listing(rows) == rows


def test_malformed_entries_are_left_out_and_summaries_clipped() -> None:
    listing = [
        {"name": "ok", "type": "matrix", "summary": "s" * 500, "shape": [2, 3], "size": None, "evil": "dropped"},
        {"name": 3},
        "not an object",
        {"type": "no name"},
    ]
    (only,) = parse_listing(listing)
    assert only == {"name": "ok", "type": "matrix", "summary": "s" * (SUMMARY_CHARS - 1) + "…", "shape": [2, 3]}


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ('{"error": "object not found"}', "could not list its variables: object not found"),
        ("[1, 2", "not JSON"),
        ('{"x": 1}', "not a JSON array"),
    ],
)
def test_a_failed_or_garbled_listing_is_a_variables_error(answer: str, says: str) -> None:
    with pytest.raises(VariablesUnsupported, match=says) as info:
        parse_listing(answer)
    assert info.value.CODE == -32016
