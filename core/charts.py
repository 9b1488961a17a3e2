"""SVG charts for pages and PDFs: plain functions returning markup.

Each function builds the SVG from numbers and labels it is given, escaping every piece of
text, and returns it marked safe; templates insert it as it is. Colours come from CSS
classes (``chart-*``) with fill attributes as a fallback, so the Content-Security-Policy's
ban on inline styles is never an issue.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

Series = Sequence[tuple[str, float | None]]


def _num(value: float) -> str:
    """A coordinate with at most one decimal and no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _share(value: float | None, maximum: float) -> float:
    if value is None or maximum <= 0:
        return 0.0
    return max(0.0, min(1.0, value / maximum))


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def bar_strip(
    values: Series,
    *,
    maximum: float = 100,
    width: int = 90,
    height: int = 24,
    gap: int = 3,
    label: str = "",
) -> Markup:
    """Small vertical bars side by side, one per value, for a table cell.

    Each bar carries a ``<title>`` ("Empathy: 72") for a tooltip, and the whole chart an
    accessible label listing every value.
    """
    count = max(1, len(values))
    bar = (width - gap * (count - 1)) / count
    wide = _num(bar)
    # Plain strings, only the names escaped: a ranked list draws fifty of these a page,
    # and Markup.format escaping every number costs more than the rest of the row.
    parts = []
    for index, (name, value) in enumerate(values):
        x = _num(index * (bar + gap))
        h = height * _share(value, maximum)
        parts.append(
            f"<g><title>{escape(name)}: {_fmt(value)}</title>"
            f'<rect class="chart-track" x="{x}" y="0" width="{wide}" height="{height}" '
            f'fill="#e3e7ee"/><rect class="chart-bar chart-bar-{index}" x="{x}" '
            f'y="{_num(height - h)}" width="{wide}" height="{_num(h)}" fill="#3c5bd6"/>'
            "</g>"
        )
    return Markup(  # noqa: S704 (numbers we formatted; names and label escaped above)
        f'<svg class="chart chart-strip" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(_aria(label, values))}">{"".join(parts)}</svg>'
    )


def bar_rows(
    values: Series,
    *,
    maximum: float = 100,
    width: int = 320,
    row_height: int = 22,
    label_width: int = 110,
    value_width: int = 44,
    highlight: Sequence[int] = (),
    label: str = "",
) -> Markup:
    """Labelled horizontal bars, one row per value, with the value written after the bar.

    :param highlight: indexes of rows drawn in the accent colour (e.g. the keyed best
        option).
    """
    bar_space = width - label_width - value_width
    height = row_height * max(1, len(values))
    parts = []
    for index, (name, value) in enumerate(values):
        y = index * row_height
        text_y = _num(y + row_height * 0.68)
        parts.append(
            Markup(
                "<g><title>{name}: {value}</title>"
                '<text class="chart-label" x="0" y="{text_y}">{name}</text>'
                '<rect class="chart-track" x="{x}" y="{y}" width="{space}" height="{h}" '
                'fill="#e3e7ee"/>'
                '<rect class="{kind}" x="{x}" y="{y}" width="{w}" height="{h}" '
                'fill="#3c5bd6"/>'
                '<text class="chart-value" x="{width}" y="{text_y}" text-anchor="end">'
                "{value}</text></g>"
            ).format(
                name=name,
                value=_fmt(value),
                text_y=text_y,
                x=label_width,
                y=y + 4,
                space=bar_space,
                h=row_height - 8,
                kind="chart-bar-accent" if index in highlight else "chart-bar",
                w=_num(bar_space * _share(value, maximum)),
                width=width,
            )
        )
    return Markup(
        '<svg class="chart chart-rows" width="100%" height="{1}" viewBox="0 0 {0} {1}" '
        'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{2}">{3}</svg>'
    ).format(width, height, _aria(label, values), Markup("").join(parts))


def _aria(label: str, values: Series) -> str:
    summary = ", ".join(f"{name} {_fmt(value)}" for name, value in values)
    return f"{label}: {summary}" if label else summary


# --- trends, distributions and bars (scorecards) ---------------------------------------------

#: A reference line: (value, label, kind); kind picks the colour (target, threshold...).
Guide = tuple[float, str, str]

GUIDE_COLOURS = {"target": "#1f8a4c", "threshold": "#c2410c", "stretch": "#6b4fd6"}
INK, MUTED, GRID, SERIES = "#1d2433", "#5b6475", "#e3e7ee", "#3c5bd6"


def _pos(value: float, low: float, high: float) -> float:
    """Where ``value`` falls between ``low`` and ``high`` (0-1, clamped; low > high works)."""
    if high == low:
        return 0.0
    return max(0.0, min(1.0, (value - low) / (high - low)))


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round values for grid lines from ``low`` to ``high``."""
    span = abs(high - low) or 1.0
    raw = span / count
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1.0
    step = min(
        (m * magnitude for m in (1, 2, 2.5, 5, 10)),
        key=lambda s: abs(span / s - count),
    )
    start, end = min(low, high), max(low, high)
    first = int(start / step) * step
    values, value = [], first
    while value <= end + 1e-9:
        if value >= start - 1e-9:
            values.append(round(value, 6))
        value += step
    return values


def spread(
    positions: Sequence[float], gap: float, low: float, high: float
) -> list[float]:
    """Label positions moved apart so that no two are closer than ``gap`` and all lie
    within ``low``..``high`` (when there is room for them), each kept as near its own
    position as the others allow, in the same order."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    placed = list(positions)
    previous: float | None = None
    for index in order:  # downwards: each at least ``gap`` below the one above
        y = max(positions[index], low)
        if previous is not None:
            y = max(y, previous + gap)
        placed[index] = previous = y
    following: float | None = None
    for index in reversed(order):  # upwards: back inside the bottom edge
        limit = high if following is None else following - gap
        placed[index] = following = min(placed[index], limit)
    return placed


def _text(value: object) -> str:
    """Text for SVG markup, escaped (the f-string builders below put every piece of text
    through this; numbers go through :func:`_num`)."""
    return str(escape(str(value)))


def line_chart(
    points: Series,
    *,
    minimum: float,
    maximum: float,
    guides: Sequence[Guide] = (),
    width: int = 520,
    height: int = 150,
    label: str = "",
    value_format: str = "{:.0f}",
    ticks: int = 4,
    values: bool = True,
) -> Markup:
    """A line over labelled points (months), with grid lines, reference lines and (with
    ``values``) each value written above its point. Points with no value leave a gap.

    Kept lean, and built with plain string formatting (every text escaped by
    :func:`_text`): a batch of a thousand scorecards draws it a thousand times.
    """
    left, right, top, bottom = 30 if ticks else 18, 64 if guides else 18, 14, 20
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(1, len(points))
    # Points sit inside the grid, so a value written above the first or last one stays
    # clear of the axis values and of the reference lines' names.
    inset = 14 if values else 0
    step = (plot_w - 2 * inset) / max(1, count - 1) if count > 1 else 0

    def x_at(index: int) -> float:
        return left + (inset + index * step if count > 1 else plot_w / 2)

    def y_at(value: float) -> float:
        return top + plot_h * (1 - _pos(value, minimum, maximum))

    parts = []
    # Without ticks, only a baseline: the guides (and the values) give the scale.
    for tick in _ticks(minimum, maximum, ticks) if ticks else [minimum]:
        y = y_at(tick)
        parts.append(
            f'<line class="chart-grid" x1="{left}" y1="{_num(y)}" x2="{left + plot_w}" '
            f'y2="{_num(y)}" stroke="{GRID}" stroke-width="1"/>'
        )
        if ticks:
            parts.append(
                f'<text class="chart-axis" x="{left - 4}" y="{_num(y + 3)}" '
                f'text-anchor="end" font-size="9" fill="{MUTED}">{_text(_fmt(tick))}'
                "</text>"
            )
    label_ys = spread([y_at(value) for value, _n, _k in guides], 10, 6, height - 6)
    for (value, name, kind), label_y in zip(guides, label_ys, strict=True):
        y = y_at(value)
        colour = GUIDE_COLOURS.get(kind, MUTED)
        parts.append(
            f'<line class="chart-guide chart-guide-{_text(kind)}" x1="{left}" '
            f'y1="{_num(y)}" x2="{left + plot_w}" y2="{_num(y)}" stroke="{colour}" '
            f'stroke-width="1" stroke-dasharray="4 3"/><text class="chart-guide-label" '
            f'x="{left + plot_w + 4}" y="{_num(label_y + 3)}" font-size="9" '
            f'fill="{colour}">{_text(name)}</text>'
        )
    segments: list[list[str]] = [[]]
    for index, (_name, value) in enumerate(points):
        if value is None:
            segments.append([])
            continue
        segments[-1].append(f"{_num(x_at(index))},{_num(y_at(value))}")
    for segment in segments:
        if len(segment) > 1:
            parts.append(
                f'<polyline class="chart-line" points="{" ".join(segment)}" '
                f'fill="none" stroke="{SERIES}" stroke-width="2" '
                'stroke-linejoin="round"/>'
            )
    for index, (name, value) in enumerate(points):
        x = _num(x_at(index))
        parts.append(
            f'<text class="chart-axis" x="{x}" y="{height - 5}" text-anchor="middle" '
            f'font-size="9" fill="{MUTED}">{_text(name)}</text>'
        )
        if value is None:
            continue
        y = y_at(value)
        parts.append(
            f'<circle class="chart-point" cx="{x}" cy="{_num(y)}" r="3" fill="{SERIES}"/>'
        )
        if values:
            parts.append(
                f'<text class="chart-value" x="{x}" y="{_num(y - 6)}" '
                f'text-anchor="middle" font-size="9" fill="{INK}">'
                f"{_text(value_format.format(value))}</text>"
            )
    # Safe: every text above went through _text(), every number through _num().
    return Markup(  # noqa: S704
        f'<svg class="chart chart-line-chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" '
        f'role="img" aria-label="{_text(_aria(label, points))}">{"".join(parts)}</svg>'
    )


def sparkline(
    values: Sequence[float | None],
    *,
    minimum: float,
    maximum: float,
    guides: Sequence[Guide] = (),
    width: int = 96,
    height: int = 26,
    label: str = "",
    label_width: int = 0,
) -> Markup:
    """A small trend line for a table cell, with faint reference lines; the latest
    point is marked. Built like :func:`line_chart`.

    :param label_width: room to the right for each reference line's name (``Guide``'s
        label), written in its colour and moved apart where lines are close; the chart
        grows to fit them.
    """
    pad = 3
    count = max(1, len(values))
    plot = width - label_width
    step = (plot - 2 * pad) / max(1, count - 1)
    font = 7
    if label_width and guides:
        height = max(height, len(guides) * (font + 1) + 2 * pad)

    def y_at(value: float) -> str:
        return _num(pad + (height - 2 * pad) * (1 - _pos(value, minimum, maximum)))

    parts = [
        f'<line class="chart-guide chart-guide-{_text(kind)}" x1="0" y1="{y_at(value)}" '
        f'x2="{plot}" y2="{y_at(value)}" stroke="{GUIDE_COLOURS.get(kind, MUTED)}" '
        'stroke-width="1" stroke-dasharray="2 2"/>'
        for value, _name, kind in guides
    ]
    if label_width and guides:
        ys = spread(
            [float(y_at(value)) for value, _n, _k in guides],
            font + 1,
            font / 2 + 0.5,
            height - font / 2 - 0.5,
        )
        parts.extend(
            f'<text class="chart-guide-label" x="{plot + 3}" y="{_num(y + font * 0.35)}" '
            f'font-size="{font}" fill="{GUIDE_COLOURS.get(kind, MUTED)}">'
            f"{_text(name)}</text>"
            for (_value, name, kind), y in zip(guides, ys, strict=True)
        )
    coords = [
        (_num(pad + index * step), y_at(value))
        for index, value in enumerate(values)
        if value is not None
    ]
    if len(coords) > 1:
        parts.append(
            f'<polyline class="chart-line" points="{" ".join(f"{x},{y}" for x, y in coords)}" '
            f'fill="none" stroke="{SERIES}" stroke-width="1.5"/>'
        )
    if coords and values[-1] is not None:
        parts.append(
            f'<circle class="chart-point" cx="{coords[-1][0]}" cy="{coords[-1][1]}" '
            f'r="2.5" fill="{SERIES}"/>'
        )
    summary = ", ".join(_fmt(v) for v in values)
    text = f"{label}: {summary}" if label else summary
    # Safe: every text above went through _text(), every number through _num().
    return Markup(  # noqa: S704
        f'<svg class="chart chart-spark" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_text(text)}">'
        f"{''.join(parts)}</svg>"
    )


def histogram(
    bins: Series,
    *,
    width: int = 520,
    height: int = 140,
    label: str = "",
) -> Markup:
    """Vertical bars, one per bin, with the count above and the bin's name below."""
    top, bottom = 14, 18
    count = max(1, len(bins))
    gap = 4
    bar = (width - gap * (count - 1)) / count
    highest = max((v or 0 for _n, v in bins), default=0) or 1
    plot_h = height - top - bottom
    parts = [
        Markup(
            '<line class="chart-grid" x1="0" y1="{y}" x2="{w}" y2="{y}" stroke="{g}"/>'
        ).format(y=top + plot_h, w=width, g=GRID)
    ]
    for index, (name, value) in enumerate(bins):
        x = index * (bar + gap)
        h = plot_h * (value or 0) / highest
        parts.append(
            Markup(
                '<g><title>{name}: {value}</title><rect class="chart-bar" x="{x}" '
                'y="{y}" width="{w}" height="{h}" fill="{series}"/><text '
                'class="chart-value" x="{cx}" y="{ty}" text-anchor="middle" '
                'font-size="9" fill="{ink}">{value}</text><text class="chart-axis" '
                'x="{cx}" y="{ly}" text-anchor="middle" font-size="9" '
                'fill="{muted}">{name}</text></g>'
            ).format(
                name=name,
                value=_fmt(value or 0),
                x=_num(x),
                y=_num(top + plot_h - h),
                w=_num(bar),
                h=_num(h),
                series=SERIES,
                cx=_num(x + bar / 2),
                ty=_num(top + plot_h - h - 3),
                ink=INK,
                ly=height - 5,
                muted=MUTED,
            )
        )
    return Markup(
        '<svg class="chart chart-histogram" width="{0}" height="{1}" viewBox="0 0 {0} '
        '{1}" preserveAspectRatio="xMinYMin meet" role="img" aria-label="{2}">{3}</svg>'
    ).format(width, height, _aria(label, bins), Markup("").join(parts))


def labelled_bars(
    values: Series,
    *,
    maximum: float = 100,
    width: int = 420,
    label_width: int = 150,
    value_width: int = 44,
    row_height: int = 18,
    value_format: str = "{:.0f}",
    label: str = "",
) -> Markup:
    """Horizontal bars with their names and values drawn in (sizes and colours set as
    attributes, so printed documents show them as pages do)."""
    space = width - label_width - value_width
    height = row_height * max(1, len(values))
    parts = []
    for index, (name, value) in enumerate(values):
        y = index * row_height
        text_y = _num(y + row_height * 0.68)
        parts.append(
            Markup(
                "<g><title>{name}: {text}</title>"
                '<text class="chart-label" x="0" y="{ty}" font-size="10" '
                'fill="{ink}">{name}</text>'
                '<rect class="chart-track" x="{x}" y="{y}" width="{space}" height="{h}" '
                'fill="{grid}"/><rect class="chart-bar" x="{x}" y="{y}" width="{w}" '
                'height="{h}" fill="{series}"/><text class="chart-value" x="{width}" '
                'y="{ty}" text-anchor="end" font-size="10" fill="{ink}">{text}</text></g>'
            ).format(
                name=name,
                text="—" if value is None else value_format.format(value),
                ty=text_y,
                ink=INK,
                x=label_width,
                y=y + 4,
                space=space,
                h=row_height - 8,
                grid=GRID,
                w=_num(space * _share(value, maximum)),
                series=SERIES,
                width=width,
            )
        )
    return Markup(
        '<svg class="chart chart-bars" width="{0}" height="{1}" viewBox="0 0 {0} {1}" '
        'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{2}">{3}</svg>'
    ).format(width, height, _aria(label, values), Markup("").join(parts))


def diverging(
    value: float | None,
    *,
    minimum: float = -1,
    maximum: float = 1,
    width: int = 120,
    height: int = 14,
    label: str = "",
) -> Markup:
    """A bar from zero to ``value`` on a scale from ``minimum`` to ``maximum`` (for a
    correlation: left is negative, right positive), with the zero line marked."""
    zero = width * _pos(0.0, minimum, maximum)
    parts = [
        Markup(
            '<rect class="chart-track" x="0" y="3" width="{}" height="{}" fill="{}"/>'
        ).format(width, height - 6, GRID)
    ]
    if value is not None:
        end = width * _pos(value, minimum, maximum)
        parts.append(
            Markup(
                '<rect class="chart-bar" x="{}" y="3" width="{}" height="{}" '
                'fill="{}"/>'
            ).format(_num(min(zero, end)), _num(abs(end - zero)), height - 6, SERIES)
        )
    parts.append(
        Markup(
            '<line class="chart-axis-line" x1="{0}" y1="0" x2="{0}" y2="{1}" '
            'stroke="{2}" stroke-width="1.5"/>'
        ).format(_num(zero), height, INK)
    )
    text = f"{label}: {_fmt(value)}" if label else _fmt(value)
    return Markup(
        '<svg class="chart chart-diverging" width="{0}" height="{1}" viewBox="0 0 {0} '
        '{1}" role="img" aria-label="{2}">{3}</svg>'
    ).format(width, height, text, Markup("").join(parts))
