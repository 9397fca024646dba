"""Results: named series of per-round numbers, their medians, ratios and targets, printed as tables."""

import statistics
from dataclasses import dataclass, field


@dataclass
class Series:
    """One measured quantity over the rounds of a run (checks/s, req/s or ms)."""

    section: str
    name: str
    unit: str
    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values)


@dataclass(frozen=True)
class Ratio:
    """ours / baseline of two series' medians, with the issue's target when there is one."""

    name: str
    ours: Series
    baseline: Series
    target: float | None = None

    @property
    def value(self) -> float:
        return self.ours.median / self.baseline.median

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return f"{'MET' if self.value >= self.target else 'NOT MET'} (target >= {self.target:g}x)"


@dataclass(frozen=True)
class Limit:
    """A series that must stay under a bound (p99 latency)."""

    series: Series
    bound: float

    @property
    def verdict(self) -> str:
        met = self.series.median < self.bound
        return f"{'MET' if met else 'NOT MET'} (target < {self.bound:g} {self.series.unit})"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def series_table(series: list[Series]) -> str:
    """Markdown table: section, what, median, unit, every round's value."""
    lines = ["| section | what | median | unit | rounds |", "|---|---|---:|---|---|"]
    for s in series:
        rounds = ", ".join(_fmt(v) for v in s.values)
        lines.append(f"| {s.section} | {s.name} | {_fmt(s.median)} | {s.unit} | {rounds} |")
    return "\n".join(lines)


def ratio_table(ratios: list[Ratio], limits: list[Limit]) -> str:
    """Markdown table of ratios (ours / baseline) and of bounds, each with MET / NOT MET where a target applies."""
    lines = ["| comparison | ratio | target |", "|---|---:|---|"]
    for r in ratios:
        lines.append(f"| {r.name} | {r.value:.2f}x | {r.verdict} |")
    for lim in limits:
        s = lim.series
        lines.append(f"| {s.section}: {s.name} = {_fmt(s.median)} {s.unit} | | {lim.verdict} |")
    return "\n".join(lines)
