"""The journal as a person or their physiotherapist reads it: a listing, CSV tables, a chart.

Times are shown in local time (the journal keeps UTC). Reading never writes anything.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from voicecoach.store.journal import Journal, SessionRow

EVENT_HEADER = ("session", "at", "session_s", "event", "exercise", "side", "round", "target_s", "held_s",
                "completed", "detail")
EVENT_KINDS = ("pause", "stop", "pain", "pain_detail", "end", "abort", "silence", "no_answer")


def local_time(iso: str | None) -> str:
    """ "2026-12-01T06:30:00+00:00" -> "2026-12-01 07:30" in the machine's time zone."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")


def ratings(journal: Journal, row: SessionRow) -> tuple[str, str]:
    """Before and after, as the listing shows them: a number, "skipped", or "-" when never asked."""
    skipped = {data.get("when") for kind, data in journal.events(row.id) if kind == "rating" and data.get("skipped")}
    return tuple(str(value) if value is not None else "skipped" if when in skipped else "-"  # type: ignore[return-value]
                 for when, value in (("before", row.rating_before), ("after", row.rating_after)))


def listing(journal: Journal, limit: int) -> list[str]:
    lines = []
    for row in journal.sessions(limit=limit):
        before, after = ratings(journal, row)
        detail = f" ({row.detail})" if row.detail else ""
        lines.append(f"{local_time(row.started_at)}  {row.outcome}{detail}  stiffness {before} -> {after}  "
                     f"holds {row.holds_completed}/{row.holds_started}")
    return lines


def events_csv(journal: Journal) -> str:
    """Every hold (exercise, side, round, target and seconds held) and every pause, stop and pain event."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EVENT_HEADER)
    for row in reversed(journal.sessions()):
        for at, session_s, kind, data in journal.timed_events(row.id):
            if kind == "hold":
                writer.writerow([row.id, local_time(at), session_s, "hold", data.get("exercise", ""), data.get("side", ""),
                                 data.get("round", ""), data.get("target_s", ""), data.get("held_s", ""),
                                 "yes" if data.get("completed") else "no", ""])
            elif kind == "event" and data.get("kind") in EVENT_KINDS:
                detail = "; ".join(f"{k}={v}" for k, v in sorted(data.items()) if k not in ("kind", "exercise"))
                writer.writerow([row.id, local_time(at), session_s, data["kind"], data.get("exercise", ""),
                                 "", "", "", "", "", detail])
    return out.getvalue()


class ChartError(ValueError):
    """The chart cannot be drawn (no plotting library, or a file type it cannot write)."""


def draw_chart(journal: Journal, path: Path) -> int:
    """Stiffness before and after each session over the dates, with the holds completed; PNG or SVG
    by the file's extension. Returns how many sessions are drawn."""
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("png", "svg"):
        raise ChartError(f"{path}: the chart is written as .png or .svg")
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display on a bedside device
        import matplotlib.dates
        import matplotlib.pyplot as plt
    except ImportError:
        raise ChartError("drawing a chart needs matplotlib: pip install 'voicecoach[chart]'") from None
    rows = [r for r in reversed(journal.sessions()) if r.holds_started or r.rating_before is not None]
    when = [datetime.fromisoformat(r.started_at).astimezone() for r in rows]
    fig, stiffness = plt.subplots(figsize=(9, 4.5), dpi=100)
    holds = stiffness.twinx()
    # matplotlib takes datetimes through its units registry; its stubs list only numbers.
    holds.bar(when, [r.holds_completed for r in rows], width=0.6, color="#d9e6f2", label="holds completed")  # type: ignore[arg-type]
    holds.set_ylabel("holds completed")
    holds.set_ylim(0, max([r.holds_started for r in rows] + [6]) * 2)  # bars in the lower half, under the lines
    stiffness.set_zorder(holds.get_zorder() + 1)
    stiffness.patch.set_visible(False)
    for label, values, style in (("stiffness before", [r.rating_before for r in rows], "o-"),
                                 ("stiffness after", [r.rating_after for r in rows], "s--")):
        points = [(t, v) for t, v in zip(when, values, strict=True) if v is not None]
        if points:
            stiffness.plot(*zip(*points, strict=True), style, label=label)
    stiffness.set_ylim(-0.5, 10.5)
    stiffness.set_ylabel("stiffness (0 = none, 10 = worst)")
    stiffness.set_title("Back stiffness before and after stretching")
    lines, labels = stiffness.get_legend_handles_labels()
    bars, bar_labels = holds.get_legend_handles_labels()
    stiffness.legend(lines + bars, labels + bar_labels, loc="upper right", fontsize="small")
    locator = matplotlib.dates.AutoDateLocator(maxticks=8)
    stiffness.xaxis.set_major_locator(locator)
    stiffness.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(locator))
    fig.tight_layout()
    fig.savefig(path, format=kind)
    plt.close(fig)
    return len(rows)
