"""Server time of the explorer's first table page and of a bulk tag on 10,000 selected results,
at 1k, 10k and 100k results.

    .venv/bin/python bench/explorer_bulk.py [--sizes 1000 10000 100000] [--repeat 3]

A throw-away embedded server is started (``bench/common.py``); each size gets a project filled
by ``bench/dashboard_speed.py``'s code (analysed results built from the recorded Steam reviews,
posted dates spread over the last 180 days, inserted in bulk, statistics rebuilt). Through
Django's test client (the whole view: queries, template, rendering), median of ``--repeat``:

- the explorer's first page in the table view, 50 and 200 rows;
- a bulk tag with "select all matching" (the server derives the set from the filters): every
  result of a project up to 10,000 results; in a larger one the results posted in the last days
  that hold about 10,000 of them (the exact count is printed). Each run adds a new tag, so every
  result changes every time. Two figures: the request (above ``BULK_BACKGROUND_ABOVE`` it
  counts the selection and queues the action), and the action itself as the worker runs it
  (``analysis.bulk.apply_for``, timed here in-process).

Then the ratios of the largest size to the smallest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

from common import embedded_django
from dashboard_speed import SPREAD_DAYS, seeded_project, steam_texts, timed

SELECTED = 10_000


def selection_query(size: int) -> str:
    """Filters that select about :data:`SELECTED` results of a project of ``size`` (all of a
    smaller one): the newest days of the posted dates, which are spread evenly."""
    if size <= SELECTED:
        return ""
    days = max(1, round(SPREAD_DAYS * SELECTED / size))
    today = datetime.now(UTC).date()
    return f"date_from={(today - timedelta(days=days - 1)).isoformat()}&date_to={today.isoformat()}&tz=UTC"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost")
    with embedded_django("explorer_bulk"):
        from django.test import Client
        from django.urls import reverse

        from analysis import bulk as bulk_actions
        from sentimatrix.mongo import collection

        texts = steam_texts()
        rows = {}
        for size in args.sizes:
            user, project, _targets, fill_seconds = seeded_project(size, texts)
            client = Client()
            client.force_login(user)
            explorer_url = reverse("analysis:explorer", args=[project.pk])
            query = selection_query(size)
            bulk_url = reverse("analysis:results_bulk", args=[project.pk]) + (f"?{query}" if query else "")

            def page(rows_per_page, client=client, url=explorer_url):
                response = client.get(url, {"layout": "table", "per_page": str(rows_per_page)})
                assert response.status_code == 200 and b"result-table" in response.content

            def requested(tag: str, client=client, url=bulk_url) -> float:
                start = time.perf_counter()
                response = client.post(url, {"scope": "all", "action": "tag", "tag": tag})
                seconds = time.perf_counter() - start
                assert response.status_code == 302, response.status_code
                return seconds

            def tagged(tag: str, user=user, project=project, query=query) -> float:
                start = time.perf_counter()
                bulk_actions.apply_for(str(user.pk), str(project.pk), query, "tag", tag)
                return time.perf_counter() - start

            page(50)  # warm: the first request of a client signs in and reads the settings
            first_50 = timed(lambda: page(50), args.repeat)
            first_200 = timed(lambda: page(200), args.repeat)
            request = statistics.median(requested(f"asked {size} {run}") for run in range(args.repeat))
            bulk = statistics.median(tagged(f"bench {size} {run}") for run in range(args.repeat))
            selected = collection("results").count_documents(
                {"project_id": project.pk, "tags": f"bench {size} 0"}
            )
            rows[size] = (first_50, first_200, bulk, selected, request)
            print(
                f"{size:>7,} results (fill {fill_seconds:5.1f} s): table p1 50 rows {first_50 * 1000:6.0f} ms  "
                f"200 rows {first_200 * 1000:6.0f} ms  bulk tag of {selected:,} selected: request "
                f"{request * 1000:6.0f} ms, the action {bulk * 1000:7.0f} ms "
                f"({bulk * 1000 / max(1, selected) * 1000:.0f} ms per 1,000)",
                flush=True,
            )
        if len(rows) > 1:
            small, large = min(rows), max(rows)
            a, b = rows[small], rows[large]
            print(
                f"ratio {large:,}/{small:,}: table p1 50 rows {b[0] / a[0]:.2f}  200 rows {b[1] / a[1]:.2f}  "
                f"bulk tag request {b[4] / a[4]:.2f}, action {b[2] / a[2]:.2f} ({b[3]:,} vs {a[3]:,} selected)"
            )


if __name__ == "__main__":
    main()
