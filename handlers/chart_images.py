"""PNG charts of Tally's numbers: a rep's weeks, and a team's week rep by rep.

Each chart is drawn on a `Figure` of its own through the Agg canvas, never through pyplot's
global state, so request threads can draw at once. Bars are Okabe–Ito blue (goal met) and
orange (below goal); a bar without a goal is grey and hatched, so no meaning rests on colour
alone. Names are drawn as typed: `$` never starts matplotlib's math mode.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from scoring.chart_data import RepBar, WeekBar

DPI = 200  # twice matplotlib's 100: sharp on high-density screens
WIDTH = 8.0  # inches: 1,600 px at DPI
MET = "#0072B2"  # Okabe–Ito blue
BELOW = "#E69F00"  # Okabe–Ito orange
GOAL_LINE = "#000000"  # Okabe–Ito black
NO_GOAL = "#BBBBBB"
NAME_CHARS = 28  # longer names are cut with "…"
TITLE_CHARS = 90  # about what fits across the chart at the title's size
_SMALL = 8
Bar = WeekBar | RepBar


def rep_chart_png(title: str, weeks: Sequence[WeekBar]) -> bytes:
    """Points per week, oldest on the left, against each week's goal; an onboarding week has
    its number under the week."""
    figure, axes = _figure(height=4.5)
    _margins(figure, left=0.8, bottom=1.05)
    bars = axes.bar(range(len(weeks)), [w.points for w in weeks], width=0.7)
    _paint(bars, weeks)
    axes.bar_label(bars, padding=2, fontsize=_SMALL)
    drew_goal = _goal_line(axes, [w.goal for w in weeks], horizontal_bars=False)
    axes.set_xticks(range(len(weeks)), [_week_tick(w) for w in weeks], fontsize=_SMALL)
    onboarding = any(w.onboarding_week is not None for w in weeks)
    axes.set_xlabel("ISO week" + (" (onb. n: onboarding week n)" if onboarding else ""))
    axes.set_ylabel("Points")
    axes.set_ylim(0, _top([w.points for w in weeks], [w.goal for w in weeks]))
    axes.yaxis.set_major_locator(_points_ticks())
    axes.grid(axis="y", alpha=0.3)
    return _finish(figure, axes, title, weeks, drew_goal)


def team_chart_png(title: str, bars: Sequence[RepBar]) -> bytes:
    """One horizontal bar per rep, in the order given (top first), each against that rep's
    goal: the goals join into one straight line when they are all the same."""
    figure, axes = _figure(height=max(3.0, 1.5 + 0.28 * len(bars)))
    names = [_short(b.name, NAME_CHARS) for b in bars]
    widest = max((_text_width(figure, name, _SMALL) for name in names), default=0)
    _margins(figure, left=widest + 0.3, bottom=0.85)
    drawn = axes.barh(range(len(bars)), [b.points for b in bars], height=0.7)
    _paint(drawn, bars)
    axes.bar_label(drawn, padding=3, fontsize=_SMALL)
    drew_goal = _goal_line(axes, [b.goal for b in bars], horizontal_bars=True)
    axes.set_yticks(range(len(bars)), names, fontsize=_SMALL, parse_math=False)
    axes.invert_yaxis()
    axes.set_xlabel("Points this week")
    axes.set_xlim(0, _top([b.points for b in bars], [b.goal for b in bars]))
    axes.xaxis.set_major_locator(_points_ticks())
    axes.grid(axis="x", alpha=0.3)
    return _finish(figure, axes, title, bars, drew_goal)


def _figure(height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(WIDTH, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _margins(figure: Figure, left: float, bottom: float) -> None:
    """Margins in inches, set by hand: a layout engine would cost a second drawing pass, which
    is most of the time a chart takes."""
    height = figure.get_figheight()
    figure.subplots_adjust(
        left=left / WIDTH, right=1 - 0.3 / WIDTH, top=1 - 0.45 / height, bottom=bottom / height
    )


def _text_width(figure: Figure, text: str, size: float) -> float:
    """How wide `text` is drawn at `size` points, in inches, by the renderer that will draw it."""
    renderer = figure.canvas.get_renderer()
    width, _, _ = renderer.get_text_width_height_descent(text, FontProperties(size=size), False)
    return float(width) / DPI


def _paint(drawn: BarContainer, bars: Sequence[Bar]) -> None:
    for patch, bar in zip(drawn.patches, bars, strict=True):
        if bar.goal is None:
            patch.set(facecolor=NO_GOAL, hatch="///", edgecolor="white")
        else:
            patch.set_facecolor(BELOW if bar.below_goal else MET)


def _goal_line(axes: Axes, goals: Sequence[int | None], *, horizontal_bars: bool) -> bool:
    """Each bar's goal as a dashed segment across its slot: neighbours with the same goal make
    one straight line, a different goal starts a segment of its own and no goal leaves a gap.
    Whether any goal was drawn."""
    if all(goal is None for goal in goals):
        return False
    slots: list[float] = []
    levels: list[float] = []
    for position, goal in enumerate(goals):
        if position and goal != goals[position - 1]:
            slots.append(math.nan)  # a NaN lifts the pen
            levels.append(math.nan)
        level = math.nan if goal is None else float(goal)
        slots += [position - 0.5, position + 0.5]
        levels += [level, level]
    xs, ys = (levels, slots) if horizontal_bars else (slots, levels)
    axes.plot(xs, ys, color=GOAL_LINE, linestyle="--", linewidth=1.2)
    return True


def _finish(
    figure: Figure,
    axes: Axes,
    title: str,
    bars: Sequence[Bar],
    drew_goal: bool,
) -> bytes:
    """Title, a legend of what the chart shows, and the PNG."""
    axes.set_title(_short(title, TITLE_CHARS), fontsize=11, loc="left", parse_math=False)
    axes.spines[["top", "right"]].set_visible(False)
    keys = [
        (any(b.goal is not None and not b.below_goal for b in bars), Patch(color=MET), "Goal met"),
        (any(b.below_goal for b in bars), Patch(color=BELOW), "Below goal"),
        (
            any(b.goal is None for b in bars),
            Patch(facecolor=NO_GOAL, hatch="///", edgecolor="white"),
            "No goal",
        ),
        (drew_goal, Line2D([], [], color=GOAL_LINE, linestyle="--"), "Goal"),
    ]
    shown = [(handle, label) for present, handle, label in keys if present]
    figure.legend(
        [handle for handle, _ in shown],
        [label for _, label in shown],
        loc="lower center",
        ncols=len(shown) or 1,
        fontsize=_SMALL,
        frameon=False,
    )
    buffer = io.BytesIO()
    figure.savefig(
        buffer, format="png", dpi=DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 3}
    )
    return buffer.getvalue()


def _points_ticks() -> MaxNLocator:
    """A few round whole numbers: each tick costs drawing time and adds little to read."""
    return MaxNLocator(nbins=5, integer=True)


def _top(points: Sequence[int], goals: Sequence[int | None]) -> float:
    """Room above the tallest bar or goal for its label; an empty chart still has a scale."""
    highest = max([*points, *(g for g in goals if g is not None)], default=0)
    return max(highest * 1.15, 10)


def _week_tick(week: WeekBar) -> str:
    """ "W48", and "onb. 3" under it in an onboarding week."""
    tick = week.week.split("-", 1)[-1]
    return tick if week.onboarding_week is None else f"{tick}\nonb. {week.onboarding_week}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
