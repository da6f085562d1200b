"""The dashboard's chart of sentiment by Steam playtime at review time, from the playtime bands
counted on the insights sample (:mod:`analysis.playtime_bands`); its title says how many reviews
it counts, and its summary that they are a sample."""

from __future__ import annotations

from analysis.dashboard.charts import grouped_bar
from analysis.dashboard.sums import Totals
from analysis.playtime_bands import BANDS
from projects.platforms import Platform


def band_label(low: int, high: int | None) -> str:
    return f"{low}+ h" if high is None else f"{low} to {high} h"


def band_filters(low: int, high: int | None) -> dict:
    """The explorer's filters for a band. Its upper end is exclusive, the filter's inclusive, and
    playtime is whole minutes: half a minute short of the end keeps the last minute in and the end
    out."""
    filters = {"platforms": [Platform.STEAM.value], "playtime_min": float(low)}
    if high is not None:
        filters["playtime_max"] = round((high * 60 - 0.5) / 60, 5)
    return filters


def playtime_chart(project, insights: dict) -> dict | None:
    """Reviews per playtime band stacked by sentiment, or None when none of the sample's Steam
    reviews reports playtime."""
    bands = insights.get("playtime") or []
    if len(bands) != len(BANDS) or not any(band["count"] for band in bands):
        return None
    groups = []
    for (low, high), band in zip(BANDS, bands, strict=True):
        totals = Totals()
        totals.add(band)
        groups.append((str(low), band_label(low, high), totals, band_filters(low, high)))
    counted = sum(band["count"] for band in bands)
    chart = grouped_bar(
        "playtime",
        f"Sentiment by Steam playtime at review (latest {counted} analysed reviews)",
        project,
        groups,
        None,
    )
    chart["summary"] = (
        "; ".join(
            f"{label}: {t.count} reviews, average {t.average:+.2f}" for _, label, t, _ in groups if t.count
        )
        + f". A sample: the Steam reviews reporting playtime among the project's latest"
        f" {insights.get('sample_size', counted)} analysed results."
    )
    chart["table"]["columns"][0] = "Playtime"
    return chart


def charts(project, insights: dict) -> list[dict]:
    """The playtime chart, when the project's sample has Steam reviews that report playtime."""
    chart = playtime_chart(project, insights)
    return [chart] if chart else []
