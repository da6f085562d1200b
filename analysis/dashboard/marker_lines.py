"""Release markers on a time chart: where each one sits on the chart's category axis."""

from __future__ import annotations

from datetime import date

from analysis.dashboard.buckets import bucket_end, bucket_start
from analysis.markers import when_text
from analysis.models import ReleaseMarker


def chart_markers(markers: list[ReleaseMarker], starts: list[date], granularity: str) -> list[dict]:
    """The markers a time chart of buckets ``starts`` draws: each with ``position``, the index of
    its bucket on the category axis plus where its day falls inside the bucket (a fraction, so a
    marker on a Thursday sits late in its week), its label, note and date text. Markers outside
    the chart's buckets are left out."""
    if not starts:
        return []
    last = bucket_end(starts[-1], granularity)
    index = {s: i for i, s in enumerate(starts)}
    out = []
    for marker in markers:
        day = marker.day
        if day < starts[0] or day > last:
            continue
        start = bucket_start(day, granularity)
        if start not in index:
            continue
        length = (bucket_end(start, granularity) - start).days + 1
        # Index i is the bucket's middle: its first day starts half a bucket before it.
        offset = ((day - start).days + 0.5) / length - 0.5 if length > 1 else 0.0
        out.append(
            {
                "id": str(marker.pk),
                "label": marker.label,
                "note": marker.note,
                "day": day.isoformat(),
                "when": when_text(marker),
                "position": round(index[start] + offset, 4),
            }
        )
    return out
