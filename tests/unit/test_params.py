"""Params parsing: -32602 that names the field."""

from __future__ import annotations

import json

import attrs
import pytest

from bridge.errors import INVALID_PARAMS, InvalidParams
from bridge.server.context import Settings
from bridge.server.execute import ExecuteParams
from bridge.server.lifecycle import ConnectKernelParams, StartKernelParams
from bridge.server.params import Line, camel, parse_params


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


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"A=B": "x"}, "'A=B' contains '='"),
        ({"": "x"}, "name is empty"),
        ({"A\0": "x"}, "contains a NUL"),
        ({"A": "x\0y"}, "value of A contains a NUL"),
        ({"A": 1}, "value of A: expected a string"),
        (["A"], "expected an object"),
    ],
)
def test_an_environment_execve_would_refuse_is_named(env: object, problem: str) -> None:
    with pytest.raises(InvalidParams) as info:
        parse_params(StartKernelParams, {"env": env})
    assert info.value.message.startswith("invalid params: env: ")
    assert problem in info.value.message


def test_a_usable_environment_passes() -> None:
    env = {"A": "", "PATH_LIKE": "a=b:c", "UNICODE_É": "✓"}
    assert parse_params(StartKernelParams, {"env": env}).env == env


@pytest.mark.parametrize("value", [-1, 0, -0.5, float("nan"), float("inf"), float("-inf"), "5", True, None])
def test_a_timeout_is_a_finite_positive_number(value: object) -> None:
    if value is None:
        assert parse_params(StartKernelParams, {"startupTimeout": None}).startup_timeout is None
        return
    for cls in (StartKernelParams, ConnectKernelParams):
        with pytest.raises(InvalidParams) as info:
            parse_params(cls, {"startupTimeout": value})
        assert info.value.message.startswith("invalid params: startupTimeout: ")


def test_a_timeout_may_be_an_integer_or_a_fraction() -> None:
    assert parse_params(StartKernelParams, {"startupTimeout": 5}).startup_timeout == 5.0
    assert parse_params(ConnectKernelParams, {"startupTimeout": 0.25}).startup_timeout == 0.25


def test_numbers_are_never_infinite() -> None:
    """``1e999`` is valid JSON and parses as infinity."""
    with pytest.raises(InvalidParams, match="cwd"):
        parse_params(StartKernelParams, {"cwd": 1e999})
    with pytest.raises(InvalidParams, match="finite"):
        parse_params(StartKernelParams, {"startupTimeout": json.loads("1e999")})


@pytest.mark.parametrize(("cls", "field"), [(StartKernelParams, "cwd"), (ConnectKernelParams, "connectionFile")])
def test_a_path_with_a_nul_is_refused(cls: type, field: str) -> None:
    with pytest.raises(InvalidParams) as info:
        parse_params(cls, {field: "/tmp/a\0b"})
    assert info.value.message == f"invalid params: {field}: a path cannot contain a NUL character"


def test_messages_say_what_was_expected() -> None:
    with pytest.raises(InvalidParams) as info:
        parse_params(ExecuteParams, {"kernelId": 3, "code": "1"})
    assert info.value.message == "invalid params: kernelId: expected a string"


@attrs.define
class _WithLine:
    first_line: Line = Line(0)


@pytest.mark.parametrize("value", [-1, 2**31, 2**63, 1.5, True])
def test_a_line_is_an_lsp_uinteger(value: object) -> None:
    with pytest.raises(InvalidParams, match="firstLine"):
        parse_params(_WithLine, {"firstLine": value})


def test_a_line_in_range_passes() -> None:
    assert parse_params(_WithLine, {"firstLine": 2**31 - 1}).first_line == 2**31 - 1


def test_initialization_options_with_unusable_numbers_are_ignored(caplog: pytest.LogCaptureFixture) -> None:
    """initialize must not fail over a setting: an unusable one keeps the default, and says so."""
    settings = Settings()
    settings.update({"startupTimeout": -1, "completionTimeout": float("inf"), "outputLimitBytes": 0})
    assert (settings.startup_timeout, settings.completion_timeout, settings.output_limit_bytes) == (
        Settings().startup_timeout,
        Settings().completion_timeout,
        Settings().output_limit_bytes,
    )
    assert {"startupTimeout", "completionTimeout", "outputLimitBytes"} <= {r.args[0] for r in caplog.records}  # type: ignore[index]
    settings.update({"startupTimeout": 5, "completionTimeout": 0.5})
    assert (settings.startup_timeout, settings.completion_timeout) == (5, 0.5)


def test_initialization_options_outside_their_set_keep_the_value_and_say_so(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings()
    settings.update({"autoStart": "onOpen", "encryption": "required", "transport": "ipc"})
    settings.update({"autoStart": "always", "encryption": "nope", "transport": "udp"})
    assert (settings.auto_start, settings.encryption, settings.transport) == ("onOpen", "required", "ipc")
    assert [r.getMessage() for r in caplog.records] == [
        "initializationOptions.autoStart 'always' is not one of onRun, onOpen, never: keeping 'onOpen'",
        "initializationOptions.transport 'udp' is not one of tcp, ipc: keeping 'ipc'",
        "initializationOptions.encryption 'nope' is not one of auto, off, required: keeping 'required'",
    ]
    settings.update({"transport": 3})  # not even a string: the same warning, not a crash
    assert settings.transport == "ipc" and "transport 3 is not one of" in caplog.records[-1].getMessage()
