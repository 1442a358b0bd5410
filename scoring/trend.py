"""Weeks side by side: a sparkline of totals, for a line of text where a chart won't fit."""

from collections.abc import Sequence

_TICKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int]) -> str:
    """One character per value, scaled to the largest (so a quiet week still shows as ▁)."""
    top = max(values, default=0)
    if top <= 0:
        return _TICKS[0] * len(values)
    last = len(_TICKS) - 1
    return "".join(_TICKS[max(0, value) * last // top] for value in values)
