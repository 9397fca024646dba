"""Results: named series of per-round numbers, their medians, ratios and targets, printed as tables and
written as JSON (`--json PATH`); where they were measured."""

import argparse
import json
import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any


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


def machine(packages: Sequence[str] = ()) -> dict[str, str]:
    """Where the figures come from: date, platform, CPUs, Python and the versions of `packages`."""
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "utc": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
        "platform": platform.platform(),
        "cpus": f"{os.cpu_count()} ({cpu})",
        "python": platform.python_version(),
        "load_average": f"{os.getloadavg()[0]:.2f}",
        **{p: version(p) for p in packages},
    }


def machine_line(about: dict[str, str]) -> str:
    return "; ".join(f"{k} {v}" for k, v in about.items())


def series_json(series: Sequence[Series]) -> list[dict[str, Any]]:
    return [
        {"section": s.section, "name": s.name, "unit": s.unit, "median": s.median, "values": s.values} for s in series
    ]


def ratios_json(ratios: Sequence[Ratio], limits: Sequence[Limit] = ()) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"name": r.name, "value": r.value, "target": r.target, "met": None if r.target is None else r.value >= r.target}
        for r in ratios
    ]
    rows += [
        {
            "name": f"{lim.series.section}: {lim.series.name}",
            "value": lim.series.median,
            "bound": lim.bound,
            "met": lim.series.median < lim.bound,
        }
        for lim in limits
    ]
    return rows


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """The options every bench has: `--smoke` (tiny counts, one round: does it still run?) and `--json`."""
    parser.add_argument(
        "--smoke", action="store_true", help="tiny counts and one round: checks the bench runs, measures nothing"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures to PATH as JSON")


def write_json(path: Path | None, bench: str, about: dict[str, str], smoke: bool, figures: dict[str, Any]) -> None:
    """The figures as JSON (`bench`, `machine`, `smoke`, then the bench's own keys), if a path was given."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"bench": bench, "machine": about, "smoke": smoke, **figures}, indent=2) + "\n")
    print(f"figures written to {path}")
