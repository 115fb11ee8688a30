"""Typed, strict parsing of ``jupyter/*`` request params (camelCase on the wire).

Each method declares an attrs class with snake_case fields; the wire names are their
camelCase forms. A wrong or missing field becomes -32602 naming the field
("kernelId: expected a string").
"""

from __future__ import annotations

from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from bridge.errors import InvalidParams

T = TypeVar("T")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _strict(kind: type, label: str) -> Any:
    def hook(value: Any, _: Any) -> Any:
        if isinstance(value, bool) and kind is not bool:
            raise TypeError(f"expected {label}")
        if kind is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, kind):
            raise TypeError(f"expected {label}")
        return value

    return hook


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=False)
    for kind, label in ((str, "a string"), (int, "an integer"), (float, "a number"), (bool, "a boolean")):
        conv.register_structure_hook(kind, _strict(kind, label))

    def dict_hook(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise TypeError("expected an object")
        return value

    conv.register_structure_hook_func(lambda t: t == dict[str, Any], dict_hook)

    def str_dict_hook(value: Any, _: Any) -> dict[str, str]:
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise TypeError("expected an object of strings")
        return value

    conv.register_structure_hook_func(lambda t: t == dict[str, str], str_dict_hook)
    def list_hook(value: Any, kind: Any) -> list[Any]:
        if not isinstance(value, list):
            raise TypeError("expected an array")
        (item,) = get_args(kind) or (Any,)
        return [conv.structure(v, item) for v in value]

    conv.register_structure_hook_func(lambda t: get_origin(t) is list, list_hook)
    conv.register_structure_hook_factory(
        attrs.has,
        lambda cls: make_dict_structure_fn(
            cls, conv, **{a.name: override(rename=camel(a.name)) for a in attrs.fields(cls)}
        ),
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
        for line in cattrs.transform_error(exc):
            text, _, path = line.partition(" @ $")
            field = ".".join(camel(seg) for seg in path.lstrip(".").split(".")) or "params"
            problems.append(f"{field}: {text}")
        raise InvalidParams("invalid params: " + "; ".join(problems)) from None
