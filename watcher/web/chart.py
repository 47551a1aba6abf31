"""A series as a server-rendered SVG chart: actuals by period, targets at their deadline, forecasts. Pure.

    series_chart(actuals, targets, forecasts) → Markup (an <svg> element), or "" when nothing to draw

Whole-year actuals are joined by a line; figures for part of a year (1—9月) are hollow dots, since a
year-to-date sum is not comparable with a whole year. A target is a dashed line at its value running to
its deadline, with a band above it (超) or below it (不到), its words over its end; a forecast is a diamond.
Time runs left to right by period end; every mark has a <title> (the tooltip) with its words and source.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from watcher.web.standing import Observed, deadline_year, period_end
from watcher.wording import amount, period_zh, quantity_zh

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 12, 16, 34, 36  # the words sit inside the plot: it reads at any width


@dataclass(frozen=True, slots=True)
class _Axes:
    x0: float
    x1: float
    y0: float
    y1: float

    def x(self, t: float) -> float:
        span = self.x1 - self.x0 or 1.0
        return LEFT + (t - self.x0) / span * (WIDTH - LEFT - RIGHT)

    def y(self, v: float) -> float:
        span = self.y1 - self.y0 or 1.0
        return HEIGHT - BOTTOM - (v - self.y0) / span * (HEIGHT - TOP - BOTTOM)


def when_x(when: str | None) -> float:
    """A period's position in years: a whole year in its middle (2023 → 2023.5), part of a year at the
    middle of its last month (2024-01/2024-09 → 2024.71)."""
    if _is_whole_year(when):
        return int(when or "") + 0.5
    end = period_end(when)
    try:
        return int(end[:4]) + (int(end[5:7]) - 0.5) / 12
    except ValueError:
        return math.nan


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(lo / step) * step
    return [start + i * step for i in range(count + 2) if start + i * step <= hi + step * 0.999]


def _main_unit(observations: Sequence[Observed]) -> str | None:
    counts: dict[str, int] = {}
    for o in observations:
        counts[o.unit] = counts.get(o.unit, 0) + 1
    return max(counts, key=lambda u: counts[u]) if counts else None


def _tip(o: Observed, label: str) -> str:
    src = getattr(o, "outlet", None) or ""
    return f"{label} {period_zh(o.when)} {quantity_zh(o.value, o.unit, o.qualifier)} {src}".strip()


def series_chart(
    actuals: Sequence[Observed], targets: Sequence[Observed], forecasts: Sequence[Observed]
) -> Markup:
    unit = _main_unit([*actuals, *targets, *forecasts])
    if unit is None:
        return Markup("")
    acts = [o for o in actuals if o.unit == unit and not math.isnan(when_x(o.when))]
    tgts = [o for o in targets if o.unit == unit and deadline_year(o.when).isdigit()]
    fcs = [o for o in forecasts if o.unit == unit and not math.isnan(when_x(o.when))]
    xs = [when_x(o.when) for o in acts + fcs] + [int(deadline_year(t.when)) + 0.5 for t in tgts]
    values = [o.value for o in acts + tgts + fcs]
    if not xs:
        return Markup("")
    ticks = _nice_ticks(min(0.0, *values), max(values) * 1.08 if max(values) > 0 else 1.0)
    axes = _Axes(math.floor(min(xs)), math.ceil(max(xs)), ticks[0], ticks[-1])
    parts = [_grid(axes, ticks, unit)]
    latest = _latest_per_deadline(tgts)
    parts += [_target(axes, t, current=False) for t in tgts if t not in latest]
    parts += [_target(axes, t, current=True) for t in latest]
    parts.append(_actual_line(axes, acts))
    parts += [_dot(axes, o, whole=_is_whole_year(o.when)) for o in acts]
    parts += [_diamond(axes, o) for o in fcs]
    label = "指标走势 / series chart"
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )


def _is_whole_year(when: str | None) -> bool:
    return bool(when) and len(when or "") == 4 and (when or "").isdigit()


def _latest_per_deadline(targets: Sequence[Observed]) -> list[Observed]:
    latest: dict[str, Observed] = {}
    for t in targets:  # in store order: a later word on the same deadline replaces an earlier one
        year = deadline_year(t.when)
        seen = latest.get(year)
        if seen is None or (t.published, t.id) >= (seen.published or t.published, seen.id):
            latest[year] = t
    return [latest[y] for y in sorted(latest)]


def _grid(axes: _Axes, ticks: list[float], unit: str) -> str:
    out = []
    for v in ticks:
        y, words = axes.y(v), escape(amount(v, unit))
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick" x="{LEFT + 2}" y="{y - 4:.1f}">{words}</text>')
    for year in range(int(axes.x0), int(axes.x1) + 1):
        x = axes.x(year + 0.5)
        if LEFT <= x <= WIDTH - RIGHT:
            out.append(f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 12}" text-anchor="middle">{year}</text>')
        if axes.x0 < year < axes.x1:
            x = axes.x(year)
            out.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>')
    return "".join(out)


def _target(axes: _Axes, t: Observed, *, current: bool) -> str:
    """A line at the target's value up to its deadline: the current word with its band and words, an
    earlier word (since replaced) faint."""
    year = int(deadline_year(t.when))
    x_end, y = axes.x(year + 0.5), axes.y(t.value)
    line = f'x1="{LEFT}" x2="{x_end:.1f}" y1="{y:.1f}" y2="{y:.1f}"'
    tip = escape(_tip(t, "目标" if current else "原目标"))
    if not current:
        return f'<g class="target old"><title>{tip}</title><line class="target-old" {line}/></g>'
    words = escape(f"{year}年目标 {quantity_zh(t.value, t.unit, t.qualifier)}")
    band = ""
    if t.qualifier in (">", "<"):
        top, bottom = (TOP, y) if t.qualifier == ">" else (y, HEIGHT - BOTTOM)
        size = f'width="{x_end - LEFT:.1f}" height="{bottom - top:.1f}"'
        band = f'<rect class="target-band" x="{LEFT}" y="{top:.1f}" {size}/>'
    return (
        f'<g class="target"><title>{tip}</title>{band}<line class="target-line" {line}/>'
        f'<circle class="target-end" cx="{x_end:.1f}" cy="{y:.1f}" r="4"/>'
        f'<text class="target-label" x="{x_end:.1f}" y="{y - 8:.1f}" text-anchor="end">{words}</text></g>'
    )


def _actual_line(axes: _Axes, acts: Sequence[Observed]) -> str:
    whole = sorted((when_x(o.when), o.value) for o in acts if _is_whole_year(o.when))
    if len(whole) < 2:
        return ""
    points = " ".join(f"{axes.x(x):.1f},{axes.y(v):.1f}" for x, v in whole)
    return f'<polyline class="actual-line" points="{points}"/>'


def _dot(axes: _Axes, o: Observed, *, whole: bool) -> str:
    cls = "actual" if whole else "actual partial"
    x, y = axes.x(when_x(o.when)), axes.y(o.value)
    tip = escape(_tip(o, "实际"))
    return f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="4.5"><title>{tip}</title></circle>'


def _diamond(axes: _Axes, o: Observed) -> str:
    x, y = axes.x(when_x(o.when)), axes.y(o.value)
    pts = f"{x:.1f},{y - 6:.1f} {x + 6:.1f},{y:.1f} {x:.1f},{y + 6:.1f} {x - 6:.1f},{y:.1f}"
    return f'<polygon class="forecast" points="{pts}"><title>{escape(_tip(o, "预计"))}</title></polygon>'
