"""Server time of the admin's results list at 1k, 10k and 100k results on the embedded server.

    .venv/bin/python bench/admin_results.py [--sizes 1000 10000 100000] [--repeat 3]

A throw-away embedded server is started (bench/common.py); for each size the collection holds
exactly that many results (a project filled as bench/dashboard_speed.py fills its projects, the
previous size's removed first). A signed-in superuser then opens the change list through Django's
test client (the whole view: reads, template, rendering): plain, filtered (one platform and a
sentiment), paged (page 50) and searched, median of ``--repeat`` runs, printed in ms.
"""

from __future__ import annotations

import argparse
import os

from common import embedded_django
from dashboard_speed import fill, make_project, steam_texts, timed

CASES = {
    "plain": {},
    "filtered": {"platform__exact": "steam", "sentiment": "negative"},
    "paged (page 50)": {"p": "50"},
    "searched": {"q": "puzzle"},
    "searched (rare)": {"q": "refund"},
}


def empty_results() -> None:
    """Remove every project and result (the next size starts from nothing)."""
    from sentimatrix.mongo import collection

    for name in ("results", "daily_stats", "targets", "projects"):
        collection(name).delete_many({})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost"
    with embedded_django("admin_results"):
        from django.test import Client
        from django.urls import reverse

        from accounts.models import User

        admin = User.objects.create_superuser("admin@example.com", "a-Long-pass-phrase-42")
        client = Client()
        client.force_login(admin)
        url = reverse("admin:analysis_result_changelist")
        texts = steam_texts()
        table = {}
        for size in args.sizes:
            empty_results()
            _user, project, targets = make_project(f"bench{size}@example.com", f"Bench {size}")
            seconds = fill(project, targets, size, texts)
            print(f"{size:>7,} results stored in {seconds:.1f} s", flush=True)

            def get(params):
                response = client.get(url, params)
                assert response.status_code == 200, response.status_code
                assert b'id="result_list"' in response.content, params  # rows, not "0 results"

            for name, params in CASES.items():
                table[(name, size)] = timed(lambda params=params: get(params), args.repeat)
                print(f"  {name:<16} {table[(name, size)] * 1000:7.0f} ms", flush=True)
        print()
        header = f"{'admin results list':<20}" + "".join(f"{size:>10,}" for size in args.sizes)
        print(header)
        for name in CASES:
            print(f"{name:<20}" + "".join(f"{table[(name, size)] * 1000:>7.0f} ms" for size in args.sizes))
        slowest = max(table[(name, args.sizes[-1])] for name in CASES)
        print(f"slowest at {args.sizes[-1]:,}: {slowest * 1000:.0f} ms")


if __name__ == "__main__":
    main()
