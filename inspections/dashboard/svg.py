"""Chart geometry for the dashboard: plain shapes (rects, texts, lines) that the template draws
as inline SVG — no chart library, no CDN, no JavaScript. Nothing here reads the database.

The viewBox is narrow (420 units) so that labels stay legible when the SVG is scaled down to
a 390 px phone; on a desktop the same drawing is scaled up. Every bar carries the link of the
list behind it, and every chart comes with a table of the same numbers.
"""

import math

WIDTH = 420
FONT = 12


def nice_max(value: int) -> int:
    """A round top for the value axis: 1, 2, 5 × 10^n, never below 1."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _rect(x, y, w, h, cls, url, title, testid="bar", value=0) -> dict:
    return {
        "x": round(x, 1),
        "y": round(y, 1),
        "w": round(max(w, 0), 1),
        "h": round(max(h, 0), 1),
        "cls": cls,
        "url": url,
        "title": title,
        "testid": testid,
        "value": value,
    }


def _text(x, y, text, anchor="middle", cls="") -> dict:
    return {"x": round(x, 1), "y": round(y, 1), "text": text, "anchor": anchor, "cls": cls}


def grouped_columns(labels: list[str], series: list[dict], *, height: int = 220) -> dict:
    """Vertical bars, one group per label and one bar per series.

    series: [{"name", "cls", "points": [{"value", "url"}] (one per label)}]."""
    left, right, top, bottom = 34, 6, 10, 24
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    top_value = nice_max(max((p["value"] for s in series for p in s["points"]), default=0))
    group_w = plot_w / max(len(labels), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    rects, texts, lines = [], [], []
    for tick in range(5):
        value = top_value * tick / 4
        y = top + plot_h - plot_h * tick / 4
        lines.append({"x1": left, "y1": round(y, 1), "x2": WIDTH - right, "y2": round(y, 1)})
        if value == int(value):
            texts.append(_text(left - 4, y + 4, str(int(value)), "end", "axis"))
    for i, label in enumerate(labels):
        x0 = left + group_w * i + group_w * 0.1
        texts.append(_text(left + group_w * (i + 0.5), height - 8, label, "middle", "axis"))
        for j, s in enumerate(series):
            point = s["points"][i]
            h = plot_h * point["value"] / top_value
            rects.append(
                _rect(
                    x0 + bar_w * j,
                    top + plot_h - h,
                    bar_w - 1,
                    h,
                    s["cls"],
                    point["url"],
                    f"{label} {s['name']} {point['value']}",
                    value=point["value"],
                )
            )
    return {
        "width": WIDTH,
        "height": height,
        "rects": rects,
        "texts": texts,
        "lines": lines,
        "legend": [{"name": s["name"], "cls": s["cls"]} for s in series],
    }


def horizontal_bars(rows: list[dict], *, label_width: int = 110, row_h: int = 24) -> dict:
    """Ranked horizontal bars, stacked when a row has several segments.

    rows: [{"label", "segments": [{"value", "url", "cls", "name"}], "total_text"?}]."""
    left, right, top = label_width, 48, 4
    plot_w = WIDTH - left - right
    top_value = nice_max(max((sum(s["value"] for s in r["segments"]) for r in rows), default=0))
    rects, texts = [], []
    for i, row in enumerate(rows):
        y = top + row_h * i
        texts.append(_text(left - 6, y + row_h * 0.65, _short(row["label"]), "end", "label"))
        x = left
        for segment in row["segments"]:
            w = plot_w * segment["value"] / top_value
            rects.append(
                _rect(
                    x,
                    y + 3,
                    w,
                    row_h - 6,
                    segment["cls"],
                    segment["url"],
                    f"{row['label']} {segment['name']} {segment['value']}",
                    value=segment["value"],
                )
            )
            x += w
        total = row.get("total_text") or str(sum(s["value"] for s in row["segments"]))
        texts.append(_text(x + 4, y + row_h * 0.65, total, "start", "value"))
    legend = []
    if rows:
        legend = [{"name": s["name"], "cls": s["cls"]} for s in rows[0]["segments"]]
    return {
        "width": WIDTH,
        "height": top + row_h * max(len(rows), 1) + 4,
        "rects": rects,
        "texts": texts,
        "lines": [],
        "legend": legend,
    }


def coverage_bars(rows: list[dict], *, label_width: int = 110, row_h: int = 26) -> dict:
    """Inspected against registered: a light bar for the register, the inspected share on it.

    rows: [{"label", "registered": {"value", "url"}, "inspected": {"value", "url"}, "rate"}]."""
    left, right, top = label_width, 92, 4
    plot_w = WIDTH - left - right
    rects, texts = [], []
    for i, row in enumerate(rows):
        y = top + row_h * i
        total = row["registered"]["value"]
        done = min(row["inspected"]["value"], total)
        texts.append(_text(left - 6, y + row_h * 0.65, _short(row["label"]), "end", "label"))
        rects.append(
            _rect(
                left,
                y + 3,
                plot_w if total else 0,
                row_h - 6,
                "s-register",
                row["registered"]["url"],
                f"{row['label']} 登记 {total}",
                "bar-registered",
                total,
            )
        )
        rects.append(
            _rect(
                left,
                y + 3,
                plot_w * done / total if total else 0,
                row_h - 6,
                "s-inspected",
                row["inspected"]["url"],
                f"{row['label']} 已检查 {row['inspected']['value']}",
                "bar-inspected",
                row["inspected"]["value"],
            )
        )
        texts.append(
            _text(
                left + plot_w + 4,
                y + row_h * 0.65,
                f"{row['inspected']['value']}/{total} {row['rate']}",
                "start",
                "value",
            )
        )
    return {
        "width": WIDTH,
        "height": top + row_h * max(len(rows), 1) + 4,
        "rects": rects,
        "texts": texts,
        "lines": [],
        "legend": [
            {"name": "登记在册", "cls": "s-register"},
            {"name": "已检查", "cls": "s-inspected"},
        ],
    }


def _short(label: str, limit: int = 8) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
