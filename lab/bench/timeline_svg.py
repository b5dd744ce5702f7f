# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The timeline picture of `make bench`, as SVG written by hand (no plotting library).

One panel per migration (the baseline and ours side by side, stacked on one time scale): a lane of probe replies
(green where replies arrive, red where they stop, the longest gap labelled), the dance's steps as bars with their
names, and vertical markers (step starts, playbook start and end, the verified finish). An operator sees at a glance
where the outage sits and how long it lasts.

A panel is a dict, every time in seconds after the panel's origin (the probe's first send):
  {"label": str, "duration": s, "interval_ms": ms, "replies": [send time, ...], "gaps": [{start, end, ms}, ...],
   "steps": [{"step": name, "start": s, "end": s}, ...], "markers": [{"name": str, "time": s}, ...],
   "notes": [str, ...]}
"""

from xml.sax.saxutils import escape, quoteattr

WIDTH = 1200
LEFT = 20
RIGHT = 20
PANEL_GAP = 24
REPLY_LANE = 22
STEP_ROW = 16
LABEL_GAP_MS = 100  # gaps at least this long get their length written on them
CHAR_WIDTH = 6.2  # rough width of one character at font-size 11, to keep step labels from overlapping
STEP_COLOURS = ("#4e79a7", "#f28e2b", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")


def reply_runs(replies, interval_ms, tolerance=4.0):
    """Stretches of replies with no gap longer than ``tolerance`` probe intervals: [(first, last), ...]."""
    runs = []
    limit = tolerance * interval_ms / 1000.0
    for time in sorted(replies):
        if runs and time - runs[-1][1] <= limit:
            runs[-1][1] = time
        else:
            runs.append([time, time])
    return [tuple(run) for run in runs]


def label_rows(items, scale, min_gap=4.0):
    """Greedy rows for labels that must not overlap: [(row, item), ...] for items with "start" and "text"."""
    rows_end = []
    placed = []
    for item in sorted(items, key=lambda i: i["start"]):
        x = item["start"] * scale
        width = len(item["text"]) * CHAR_WIDTH
        for row, end in enumerate(rows_end):
            if x >= end + min_gap:
                rows_end[row] = x + width
                placed.append((row, item))
                break
        else:
            rows_end.append(x + width)
            placed.append((len(rows_end) - 1, item))
    return placed


def tick_step(seconds):
    for step in (1, 2, 5, 10, 20, 30, 60, 120, 300):
        if seconds / step <= 15:
            return step
    return 600


class _Svg:
    def __init__(self):
        self.parts = []

    def add(self, tag, text=None, **attributes):
        attrs = " ".join("{0}={1}".format(key.rstrip("_").replace("_", "-"), quoteattr(str(value)))
                         for key, value in attributes.items() if value is not None)
        if text is None:
            self.parts.append("<{0} {1}/>".format(tag, attrs))
        else:
            self.parts.append("<{0} {1}>{2}</{0}>".format(tag, attrs, escape(str(text))))


def _text_x(x, text, right_edge):
    """Text start and anchor so that a label near the right edge ends there instead of running off the picture."""
    if x + len(text) * CHAR_WIDTH > right_edge:
        return round(min(x, right_edge), 2), "end"
    return round(x, 2), None


def _panel(svg, panel, top, scale, width):
    """Draws one panel from y=top; returns the panel's height."""
    x0 = LEFT
    right_edge = x0 + width
    svg.add("text", panel["label"], x=x0, y=top + 14, font_size=13, font_weight="bold", class_="panel-label")
    notes = "  |  ".join(panel.get("notes") or [])
    svg.add("text", notes, x=x0, y=top + 30, font_size=11, fill="#333", class_="panel-notes")
    gaps = panel.get("gaps") or []
    longest = max(gaps, key=lambda g: g["ms"]) if gaps else None
    labelled = [dict(gap, text="{0:g} ms{1}".format(gap["ms"], " (longest)" if gap is longest else ""))
                for gap in gaps if gap["ms"] >= LABEL_GAP_MS or gap is longest]
    gap_rows = label_rows(labelled, scale)
    rows_above = 1 + max([row for row, _item in gap_rows] or [0])
    lane_top = top + 36 + rows_above * 12
    for row, gap in gap_rows:
        x, anchor = _text_x(x0 + gap["start"] * scale, gap["text"], right_edge)
        svg.add("text", gap["text"], x=x, y=lane_top - 3 - row * 12, font_size=10, fill="#b00", text_anchor=anchor,
                class_="gap-label")
    duration = panel["duration"]
    svg.add("rect", x=x0, y=lane_top, width=round(duration * scale, 2), height=REPLY_LANE, fill="#f3f3f3",
            stroke="#ccc", class_="reply-lane")
    for first, last in reply_runs(panel.get("replies") or [], panel["interval_ms"]):
        svg.add("rect", x=round(x0 + first * scale, 2), y=lane_top, width=round(max(1.0, (last - first) * scale), 2),
                height=REPLY_LANE, fill="#59a14f", class_="reply-run")
    for gap in gaps:
        svg.add("rect", x=round(x0 + gap["start"] * scale, 2), y=lane_top, width=round(max(1.0, (gap["end"] - gap["start"]) * scale), 2),
                height=REPLY_LANE, fill="#e15759", class_="gap", data_ms=gap["ms"])
    steps_top = lane_top + REPLY_LANE + 8
    steps = panel.get("steps") or []
    colour = {}
    for step in steps:
        colour.setdefault(step["step"], STEP_COLOURS[len(colour) % len(STEP_COLOURS)])
    placed = label_rows([dict(step, text=step["step"]) for step in steps], scale)
    rows = 1 + max([row for row, _item in placed] or [0])
    for row, step in placed:
        y = steps_top + row * STEP_ROW
        end = step["end"] if step.get("end") is not None else step["start"]
        svg.add("rect", x=round(x0 + step["start"] * scale, 2), y=y, width=round(max(1.5, (end - step["start"]) * scale), 2),
                height=5, fill=colour[step["step"]], class_="step", data_step=step["step"])
        x, anchor = _text_x(x0 + step["start"] * scale, step["step"], right_edge)
        svg.add("text", step["step"], x=x, y=y + 14, font_size=11, fill="#222", text_anchor=anchor, class_="step-label")
    bottom = steps_top + rows * STEP_ROW + 4
    for step in steps:
        x = round(x0 + step["start"] * scale, 2)
        svg.add("line", x1=x, y1=lane_top - 2, x2=x, y2=bottom, stroke=colour[step["step"]], stroke_width=1,
                stroke_dasharray="3,2", class_="step-marker", data_step=step["step"])
    markers = [dict(marker, start=marker["time"], text=marker["name"]) for marker in panel.get("markers") or []]
    marker_rows = label_rows(markers, scale)
    marker_height = (1 + max([row for row, _item in marker_rows] or [0])) * 12
    for row, marker in marker_rows:
        x = round(x0 + marker["time"] * scale, 2)
        svg.add("line", x1=x, y1=lane_top - 6, x2=x, y2=bottom + 4 + row * 12, stroke="#000", stroke_width=1.5, class_="marker",
                data_name=marker["name"])
        text_x, anchor = _text_x(x + 2, marker["name"], right_edge)
        svg.add("text", marker["name"], x=text_x, y=bottom + 14 + row * 12, font_size=10, fill="#000", text_anchor=anchor,
                class_="marker-label")
    axis_y = bottom + marker_height + 10
    svg.add("line", x1=x0, y1=axis_y, x2=round(right_edge, 2), y2=axis_y, stroke="#888", class_="axis")
    step = tick_step(width / scale)
    second = 0
    while second * scale <= width:
        x = round(x0 + second * scale, 2)
        svg.add("line", x1=x, y1=axis_y, x2=x, y2=axis_y + 4, stroke="#888", class_="tick")
        svg.add("text", "{0} s".format(second), x=x, y=axis_y + 14, font_size=10, fill="#555", class_="tick-label")
        second += step
    return axis_y + 20 - top


def build(panels, title):
    """The SVG document (a string) for the panels, stacked on one time scale (the longest panel sets it)."""
    width = WIDTH - LEFT - RIGHT
    longest = max([p["duration"] for p in panels] + [1.0])
    scale = width / longest
    body = _Svg()
    top = 40
    for panel in panels:
        top += _panel(body, panel, top, scale, width) + PANEL_GAP
    legend_y = top
    head = _Svg()
    head.add("rect", x=0, y=0, width=WIDTH, height=legend_y + 30, fill="#fff")
    head.add("text", title, x=LEFT, y=24, font_size=15, font_weight="bold", class_="title")
    legend = _Svg()
    legend.add("rect", x=LEFT, y=legend_y, width=12, height=10, fill="#59a14f")
    legend.add("text", "probe replies", x=LEFT + 16, y=legend_y + 9, font_size=11)
    legend.add("rect", x=LEFT + 110, y=legend_y, width=12, height=10, fill="#e15759")
    legend.add("text", "no replies (outage)", x=LEFT + 126, y=legend_y + 9, font_size=11)
    legend.add("text", "dashed: step starts; black: playbook/script start, end, verified finish", x=LEFT + 260, y=legend_y + 9,
               font_size=11)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" '
            'font-family="sans-serif">\n{2}\n</svg>\n').format(WIDTH, legend_y + 30, "\n".join(head.parts + body.parts + legend.parts))
