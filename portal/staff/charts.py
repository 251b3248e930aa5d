"""Charts drawn on the server as SVG (no JavaScript), always shown with a table beside them."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape

COLOURS = {"blue": "#0f385c", "red": "#ca3535", "amber": "#f47738", "green": "#0f7a52"}
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 260, 40, 30, 10


def stacked_bars(series: Sequence[tuple[str, Sequence[int]]], keys: Sequence[str]) -> str:
    """Stacked bars, one per month. Decorative for screen readers: the table has the data."""
    peak = max((sum(values) for _, values in series), default=0) or 1
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(series), 1)
    bar = slot * 0.7
    parts = [f'<svg class="app-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} '
             f'{HEIGHT}" role="img" aria-hidden="true" focusable="false">',
             f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - BOTTOM}" '
             'stroke="#0b0c0c"/>',
             f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" font-size="12">'
             f'{peak}</text>',
             f'<text x="{LEFT - 6}" y="{HEIGHT - BOTTOM}" text-anchor="end" font-size="12">0'
             '</text>']
    for index, (label, values) in enumerate(series):
        x = LEFT + index * slot + (slot - bar) / 2
        y = HEIGHT - BOTTOM
        for key, value in zip(keys, values, strict=True):
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS.get(key, "#505a5f")}"/>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle" '
                     f'font-size="11">{escape(label[2:])}</text>')
    parts.append("</svg>")
    return "".join(parts)
