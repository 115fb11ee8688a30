"""The kernel, remote, wire and transport layers know nothing of JSON-RPC or LSP: their
errors are plain data (bridge/errors.py), turned into JSON-RPC only in bridge/server/.

Every import counts, lazy and type-only ones included (as in test_imports.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.unit.test_imports import import_graph, module_name

BRIDGE = Path(__file__).resolve().parents[2] / "bridge"
LOWER_LAYERS = ("kernels", "remote", "wire", "transports")
FORBIDDEN = ("pygls", "lsprotocol")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_lower_layers_exist() -> None:
    """A renamed package must not make the check below pass over nothing."""
    for layer in LOWER_LAYERS:
        assert list((BRIDGE / layer).glob("*.py")), layer


@pytest.mark.parametrize("layer", LOWER_LAYERS)
def test_layer_imports_neither_pygls_nor_lsprotocol(layer: str) -> None:
    offending = sorted(
        f"{path.relative_to(BRIDGE.parent)} imports {name}"
        for path in (BRIDGE / layer).rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    )
    assert offending == []


def test_nothing_the_lower_layers_import_imports_pygls_or_lsprotocol() -> None:
    """Through bridge's own modules too (bridge/errors.py used to subclass pygls' error)."""
    graph = import_graph()
    paths = {module_name(p): p for p in BRIDGE.rglob("*.py")}
    reached = {m for m in graph if m.split(".")[1:2] and m.split(".")[1] in LOWER_LAYERS}
    todo = list(reached)
    while todo:
        for found in graph[todo.pop()] - reached:
            reached.add(found)
            todo.append(found)
    offending = sorted(
        f"{module} imports {name}"
        for module in reached
        for name in imported_modules(paths[module])
        if name.split(".")[0] in FORBIDDEN
    )
    assert "bridge.errors" in reached
    assert offending == []


def test_imported_modules_sees_lazy_and_type_only_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from lsprotocol import types\n"
        "def f():\n    import pygls.server\n"
    )
    assert {"lsprotocol", "pygls.server"} <= imported_modules(source)
