"""``tests/`` never imports ``bench/``: the benchmarks may build on the test support
(``tests/support/``), never the other way, so a benchmark can change without breaking a
test. Every import counts, lazy ones inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def bench_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            names = [node.module]
        found += [f"line {node.lineno}: {name}" for name in names if name == "bench" or name.startswith("bench.")]
    return found


def test_no_test_module_imports_bench() -> None:
    offenders = {
        str(path.relative_to(TESTS.parent)): hits
        for path in sorted(TESTS.rglob("*.py"))
        if (hits := bench_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_check_sees_every_form_of_import() -> None:
    source = "import bench\nimport bench.raw as r\nfrom bench.editor import Editor\ndef f():\n    from bench import x\n"
    assert len(bench_imports(source)) == 4
    assert bench_imports("import benchmark\nfrom benchmarks import b\nfrom .bench import c\n") == []
