"""Params parsing: -32602 that names the field."""

from __future__ import annotations

import pytest

from bridge.errors import INVALID_PARAMS, InvalidParams
from bridge.server.execute import ExecuteParams
from bridge.server.params import camel, parse_params


def test_camel_case_wire_names() -> None:
    assert camel("kernel_id") == "kernelId"
    assert camel("store_history") == "storeHistory"
    assert camel("code") == "code"


def test_valid_params_with_defaults() -> None:
    p = parse_params(ExecuteParams, {"kernelId": "k", "code": "1"})
    assert (p.kernel_id, p.code, p.silent, p.store_history, p.stop_on_error) == ("k", "1", False, True, True)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kernelId": "k"}, "code"),
        ({"kernelId": 3, "code": "1"}, "kernelId"),
        ({"kernelId": "k", "code": None}, "code"),
        ({"kernelId": "k", "code": "1", "silent": "yes"}, "silent"),
        ({"kernelId": "k", "code": "1", "silent": 1}, "silent"),
        ({"kernelId": "k", "code": "1", "userExpressions": []}, "userExpressions"),
    ],
)
def test_bad_field_is_named(params: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidParams) as info:
        parse_params(ExecuteParams, params)
    assert info.value.code == INVALID_PARAMS
    assert field in info.value.message


def test_params_must_be_an_object() -> None:
    with pytest.raises(InvalidParams, match="must be an object"):
        parse_params(ExecuteParams, ["k", "1"])
