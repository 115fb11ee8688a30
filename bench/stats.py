"""Percentiles, result rows, targets and the printed table."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100): an observed value, no interpolation; with
    fewer than 100 samples, p99 is the maximum."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Row:
    scenario: str
    contender: str
    n: int
    p50: float
    p99: float
    unit: str = "ms"
    ratio_p50: float | None = None
    ratio_p99: float | None = None
    note: str = ""

    @classmethod
    def of(
        cls,
        scenario: str,
        contender: str,
        samples: list[float],
        *,
        scale: float = 1e3,
        unit: str = "ms",
        note: str = "",
    ) -> Row:
        return cls(
            scenario,
            contender,
            len(samples),
            percentile(samples, 50) * scale,
            percentile(samples, 99) * scale,
            unit,
            note=note,
        )

    def against(self, base: Row) -> Row:
        self.ratio_p50 = self.p50 / base.p50 if base.p50 else None
        self.ratio_p99 = self.p99 / base.p99 if base.p99 else None
        return self


@dataclass
class Target:
    name: str
    value: float
    limit: float
    detail: str = ""

    @property
    def met(self) -> bool:
        return self.value <= self.limit


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)  # (scenario, text) for what is not a ratio

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def fact(self, scenario: str, text: str) -> None:
        self.facts.append((scenario, text))

    def target(self, name: str, value: float, limit: float, detail: str = "") -> Target:
        t = Target(name, value, limit, detail)
        self.targets.append(t)
        return t

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": [r.__dict__ for r in self.rows],
            "targets": [{**t.__dict__, "met": t.met} for t in self.targets],
            "facts": self.facts,
        }


def _num(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.1f}"
    return f"{x:.{digits}f}"


def table(report: Report, *, markdown: bool = False) -> str:
    head = ["scenario", "client", "n", "p50", "p99", "unit", "×p50", "×p99", "note"]
    body = [
        [
            r.scenario,
            r.contender,
            str(r.n),
            _num(r.p50),
            _num(r.p99),
            r.unit,
            _num(r.ratio_p50),
            _num(r.ratio_p99),
            r.note,
        ]
        for r in report.rows
    ]
    tgt_head = ["target", "measured", "limit", "met", "detail"]
    tgt_body = [[t.name, _num(t.value), _num(t.limit), "yes" if t.met else "NO", t.detail] for t in report.targets]
    out = []
    if markdown:
        out.append(_md(head, body))
        out.append("")
        out.append(_md(tgt_head, tgt_body))
        if report.facts:
            out.append("")
            out.extend(f"- **{s}**: {text}" for s, text in report.facts)
    else:
        out.append(_plain(head, body))
        out.append("")
        out.append(_plain(tgt_head, tgt_body))
        if report.facts:
            out.append("")
            out.extend(f"{s}: {text}" for s, text in report.facts)
    return "\n".join(out)


def _plain(head: list[str], body: list[list[str]]) -> str:
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _md(head: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines.extend("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body)
    return "\n".join(lines)
