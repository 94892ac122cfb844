"""A scenario's report: one table, written as the terminal table, JSON, Markdown and a PNG plot.

Every scenario reports the same columns (median wall time, ratio to the ideal, API calls by verb,
writes, CPU seconds, peak RSS, before/shoal), so figures from different scenarios read alike and the
docs can quote any of them with the command that produced it. Ratios come first: absolute times on
shared machines drift, ratios to the ideal of the same run do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ._harness import Row
from ._measure import Measurement

HEADER = (
    "row",
    "variant",
    "median",
    "p99",
    "x ideal",
    "calls by verb",
    "writes",
    "CPU s",
    "peak RSS",
    "before/shoal",
)


@dataclass(slots=True)
class RowResult:
    """A row's declaration (without its code) and its variants' measurements."""

    key: str
    title: str
    profile: str
    ideal_seconds: float
    goal_seconds: float | None
    seed: str
    time_scale: float | None
    note: str
    measurements: list[Measurement]

    def by_variant(self, name: str) -> Measurement | None:
        return next((m for m in self.measurements if m.variant == name), None)

    @property
    def before_over_shoal(self) -> float | None:
        before, shoal = self.by_variant("before"), self.by_variant("shoal")
        if before is None or shoal is None or shoal.median <= 0:
            return None
        return before.median / shoal.median

    @property
    def goal_met(self) -> bool | None:
        shoal = self.by_variant("shoal")
        if self.goal_seconds is None or shoal is None:
            return None
        return shoal.median <= self.goal_seconds


@dataclass(slots=True)
class Report:
    """What one ``shoal bench <scenario>`` run measured."""

    scenario: str
    description: str
    rows: list[RowResult]
    quick: bool = False
    scale: float = 1.0
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_results(
        cls,
        scenario: str,
        description: str,
        results: list[tuple[Row, list[Measurement]]],
        *,
        quick: bool = False,
        scale: float = 1.0,
    ) -> Report:
        rows = [
            RowResult(
                row.key,
                row.title,
                row.profile_name,
                row.ideal_seconds,
                row.goal_seconds,
                row.seed,
                row.time_scale,
                row.note,
                measured,
            )
            for row, measured in results
        ]
        notes = [
            "median/p99: over samples (one per measured window, or per operation); calls and writes: per "
            "window; CPU: process time over the windows (simulator included); peak RSS: kernel high-water "
            "mark (VmHWM) over the variant, reset before each variant.",
        ]
        notes += [f"{r.key} runs time-scaled x{r.time_scale:g}." for r in rows if r.time_scale is not None]
        return cls(scenario, description, rows, quick, scale, notes)

    def row(self, key: str) -> RowResult:
        return next(r for r in self.rows if r.key == key)

    @property
    def missed_goals(self) -> list[str]:
        """Keys of the rows whose ``shoal`` median is over the goal the issue set."""
        return [r.key for r in self.rows if r.goal_met is False]

    def exit_status(self) -> int:
        """The command's exit status: 1 when a goal was missed at full size, else 0 (``--quick``
        sizes check that a scenario works and judge no goal)."""
        return 1 if self.missed_goals and not self.quick else 0

    # -- rendering -------------------------------------------------------------------------------

    def lines(self) -> list[tuple[str, ...]]:
        """The table's cells, one tuple per variant plus one ``ideal`` line per row."""
        out: list[tuple[str, ...]] = []
        for r in self.rows:
            ratio = r.before_over_shoal
            out.extend(self._cells(r, m, ratio) for m in r.measurements)
            goal = f"goal {_ms(r.goal_seconds)}" if r.goal_seconds is not None else ""
            seed = f"seed {r.seed}" if r.seed else ""
            out.append(
                (
                    f"{r.key} {r.title}",
                    "ideal",
                    _ms(r.ideal_seconds),
                    "",
                    "1.000",
                    r.profile,
                    "",
                    "",
                    "",
                    " ".join(filter(None, (goal, seed))),
                )
            )
        return out

    @staticmethod
    def _cells(r: RowResult, m: Measurement, ratio: float | None) -> tuple[str, ...]:
        return (
            f"{r.key} {r.title}",
            m.variant,
            _ms(m.median),
            _ms(m.p99),
            f"{m.median / r.ideal_seconds:.3f}" if r.ideal_seconds > 0 else "-",
            ", ".join(f"{v} {_n(n)}" for v, n in m.calls_by_verb().items()) or "-",
            _n(m.writes),
            f"{m.cpu_seconds:.3f}",
            f"{m.peak_rss_bytes / 2**20:.0f} MiB",
            f"{ratio:.2f}" if ratio is not None and m.variant == "shoal" else "",
        )

    def markdown(self) -> str:
        head = f"# shoal bench {self.scenario}\n\n{self.description}\n\n"
        if self.quick:
            head += "Quick sizes (checks the scenario works; not for quoting).\n\n"
        table = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        table += ["| " + " | ".join(cells) + " |" for cells in self.lines()]
        notes = [f"- {r.key}: {r.note}" for r in self.rows if r.note] + [f"- {n}" for n in self.notes]
        return head + "\n".join(table) + "\n\n" + "\n".join(notes) + "\n"

    def print_table(self) -> None:
        """Print the table to stdout (rows by key; their titles in the caption)."""
        from rich.console import Console
        from rich.table import Table

        caption = "; ".join(f"{r.key}: {r.title}" for r in self.rows)
        table = Table(*HEADER, title=f"shoal bench {self.scenario}", caption=caption)
        titles = {f"{r.key} {r.title}": r.key for r in self.rows}
        previous = ""
        for cells in self.lines():
            table.add_row(titles[cells[0]] if cells[0] != previous else "", *cells[1:])
            previous = cells[0]
        console = Console()
        if not console.is_terminal:
            console = Console(width=180)
        console.print(table)
        for note in self.notes:
            console.print(note, style="dim")

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "description": self.description,
            "quick": self.quick,
            "scale": self.scale,
            "notes": self.notes,
            "rows": [
                {
                    "key": r.key,
                    "title": r.title,
                    "profile": r.profile,
                    "ideal_seconds": r.ideal_seconds,
                    "goal_seconds": r.goal_seconds,
                    "goal_met": r.goal_met,
                    "seed": r.seed,
                    "time_scale": r.time_scale,
                    "note": r.note,
                    "before_over_shoal": r.before_over_shoal,
                    "variants": [
                        {
                            "variant": m.variant,
                            "median_seconds": m.median,
                            "p99_seconds": m.p99,
                            "over_ideal": m.median / r.ideal_seconds if r.ideal_seconds > 0 else None,
                            "samples": len(m.samples),
                            "windows": m.windows,
                            "wall_seconds": m.wall_seconds,
                            "cpu_seconds": m.cpu_seconds,
                            "peak_rss_bytes": m.peak_rss_bytes,
                            "calls": m.calls,
                            "calls_by_verb_per_window": m.calls_by_verb(),
                            "writes_per_window": m.writes,
                            "milestones": m.milestones,
                            "phases": m.phases,
                        }
                        for m in r.measurements
                    ],
                }
                for r in self.rows
            ],
        }

    def write(self, out_dir: Path) -> list[Path]:
        """Write ``<scenario>.json``, ``.md`` and ``.png`` into ``out_dir``; returns the paths."""
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [out_dir / f"{self.scenario}.{ext}" for ext in ("json", "md", "png")]
        paths[0].write_bytes(orjson.dumps(self.to_json(), option=orjson.OPT_INDENT_2))
        paths[1].write_text(self.markdown())
        self.plot(paths[2])
        return paths

    def plot(self, path: Path) -> None:
        """A bar per variant and row: its median as a multiple of the row's ideal (log scale)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        variants = sorted({m.variant for r in self.rows for m in r.measurements}, key=_variant_order)
        fig, ax = plt.subplots(figsize=(8, 1.0 + 0.6 * len(self.rows) * max(len(variants), 1)))
        height = 0.8 / max(len(variants), 1)
        for i, name in enumerate(variants):
            ys, xs = [], []
            for j, r in enumerate(self.rows):
                m = r.by_variant(name)
                if m is not None and r.ideal_seconds > 0:
                    ys.append(j + i * height)
                    xs.append(m.median / r.ideal_seconds)
            ax.barh(ys, xs, height=height, label=name)
        ax.axvline(1.0, color="black", linewidth=1, linestyle="--", label="ideal")
        ax.set_yticks([j + 0.4 - height / 2 for j in range(len(self.rows))])
        ax.set_yticklabels([f"{r.key} {r.title}" for r in self.rows])
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("median / ideal (log)")
        ax.set_title(f"shoal bench {self.scenario}" + (" (quick)" if self.quick else ""))
        ax.legend(loc="lower right")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)


def _variant_order(name: str) -> tuple[int, str]:
    order = {"before": 0, "kopf": 1, "shoal": 2}
    return order.get(name, 3), name


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.3f} ms" if seconds < 0.1 else f"{seconds * 1000:.1f} ms"


def _n(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"
