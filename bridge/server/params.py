"""Typed, strict parsing of ``jupyter/*`` request params (camelCase on the wire).

Each method declares an attrs class with snake_case fields; the wire names are their
camelCase forms. A wrong or missing field becomes -32602 naming the field
("kernelId: expected a string").

A value of the right JSON type can still be unusable, and would otherwise fail deep inside
(``subprocess`` refusing an environment, ``trio`` a deadline) as -32603 with a traceback:
the types below say what a field must hold, and their hooks check it up front.
``Seconds`` is a finite, positive duration; ``Environment`` and ``PathText`` (a file or
directory name) are what ``execve`` and the file system can take.
Numbers are never NaN or infinite (``1e999`` is valid JSON and parses as infinity).
"""

from __future__ import annotations

import math
from typing import Any, NewType, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from bridge.errors import InvalidParams

T = TypeVar("T")

Seconds = NewType("Seconds", float)
Environment = NewType("Environment", dict[str, str])
PathText = NewType("PathText", str)
RunId = NewType("RunId", str)  # an editor's name for a run: 1 to 256 characters
RUN_ID_MAX = 256
Line = NewType("Line", int)  # a document line: LSP positions are uinteger (0 .. 2**31 - 1)
LSP_UINTEGER_MAX = 2**31 - 1


class ParamError(ValueError):
    """A param the bridge cannot use; its message is shown to the editor as it is."""


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _camel_overrides(cls: Any) -> dict[str, Any]:
    """Editors send camelCase; attrs fields are snake_case."""
    return {a.name: override(rename=camel(a.name)) for a in attrs.fields(cls)}


def _is_list_type(kind: Any) -> bool:
    return get_origin(kind) is list


def _strict(kind: type, label: str) -> Any:
    def hook(value: Any, _: Any) -> Any:
        if isinstance(value, bool) and kind is not bool:
            raise ParamError(f"expected {label}")
        if kind is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, kind):
            raise ParamError(f"expected {label}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ParamError(f"expected a finite number, got {value}")
        return value

    return hook


def _seconds(value: Any, _: Any) -> float:
    seconds = _strict(float, "a number of seconds")(value, float)
    if seconds <= 0:
        raise ParamError(f"expected a positive number of seconds, got {value}")
    return float(seconds)


def _environment(value: Any, _: Any) -> dict[str, str]:
    """Names and values ``execve`` accepts: a name is not empty and has no ``=`` (the
    separator in ``NAME=value``), and neither has a NUL (the end of a C string)."""
    if not isinstance(value, dict):
        raise ParamError("expected an object of strings")
    for name, text in value.items():
        if not isinstance(text, str):
            raise ParamError(f"the value of {name}: expected a string")
        if not name:
            raise ParamError("a variable name is empty")
        if "=" in name:
            raise ParamError(f"variable name {name!r} contains '='")
        if "\0" in name:
            raise ParamError(f"variable name {name!r} contains a NUL character")
        if "\0" in text:
            raise ParamError(f"the value of {name} contains a NUL character")
    return value


def _path_text(value: Any, _: Any) -> str:
    text = _strict(str, "a string")(value, str)
    if "\0" in text:
        raise ParamError("a path cannot contain a NUL character")
    return str(text)


def _run_id(value: Any, _: Any) -> str:
    """Echoed in every notification of the run: short, so that it costs nothing to repeat."""
    text = _strict(str, "a string")(value, str)
    if not 1 <= len(text) <= RUN_ID_MAX:
        raise ParamError(f"expected 1 to {RUN_ID_MAX} characters, got {len(text)}")
    return str(text)


def _line(value: Any, _: Any) -> int:
    """LSP types refuse a negative or too large line only when the bridge builds one (a
    diagnostic after the run): checked up front instead."""
    line = _strict(int, "an integer")(value, int)
    if not 0 <= line <= LSP_UINTEGER_MAX:
        raise ParamError(f"expected a line number from 0 to {LSP_UINTEGER_MAX}, got {line}")
    return int(line)


def _message(exc: BaseException, kind: Any) -> str:
    if isinstance(exc, ParamError):
        return str(exc)
    return cattrs.v.format_exception(exc, kind)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=False)
    for kind, label in ((str, "a string"), (int, "an integer"), (float, "a number"), (bool, "a boolean")):
        conv.register_structure_hook(kind, _strict(kind, label))

    def dict_hook(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise ParamError("expected an object")
        return value

    conv.register_structure_hook_func(lambda t: t == dict[str, Any], dict_hook)

    def str_dict_hook(value: Any, _: Any) -> dict[str, str]:
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise ParamError("expected an object of strings")
        return value

    conv.register_structure_hook_func(lambda t: t == dict[str, str], str_dict_hook)
    conv.register_structure_hook(Seconds, _seconds)
    conv.register_structure_hook(Environment, _environment)
    conv.register_structure_hook(PathText, _path_text)
    conv.register_structure_hook(Line, _line)
    conv.register_structure_hook(RunId, _run_id)

    def list_hook(value: Any, kind: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ParamError("expected an array")
        (item,) = get_args(kind) or (Any,)
        return [conv.structure(v, item) for v in value]

    conv.register_structure_hook_func(_is_list_type, list_hook)
    conv.register_structure_hook_factory(
        attrs.has,
        lambda cls: make_dict_structure_fn(cls, conv, **_camel_overrides(cls)),
    )
    return conv


_converter = _make_converter()


def parse_params(cls: type[T], params: Any) -> T:
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidParams(f"params must be an object, not {type(params).__name__}")
    try:
        return _converter.structure(params, cls)
    except Exception as exc:
        problems = []
        for line in cattrs.transform_error(exc, format_exception=_message):
            text, _, path = line.partition(" @ $")
            field = ".".join(camel(seg) for seg in path.lstrip(".").split(".")) or "params"
            problems.append(f"{field}: {text}")
        raise InvalidParams("invalid params: " + "; ".join(problems)) from None
