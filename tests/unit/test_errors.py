"""The one table of error codes (bridge/errors.py) and the editor contract agree."""

from __future__ import annotations

import re
from pathlib import Path

from bridge.errors import ERROR_CODES

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def documented_codes() -> set[int]:
    text = PROTOCOL.read_text(encoding="utf-8")
    section = text[text.index("## Errors") : text.index("\n## ", text.index("## Errors") + 1)]
    return {int(code) for code in re.findall(r"^\| (-32\d{3}) \|", section, re.MULTILINE)}


def test_every_code_in_the_table_is_documented_and_every_documented_code_is_in_the_table() -> None:
    assert documented_codes() == set(ERROR_CODES)


def test_codes_are_json_rpcs_or_lsps() -> None:
    """JSON-RPC reserves -32768..-32000 (server errors -32099..-32000); LSP -32899..-32800."""
    for code in ERROR_CODES:
        assert -32768 <= code <= -32000 or -32899 <= code <= -32800, code
