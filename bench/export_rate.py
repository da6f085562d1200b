"""Export rate (rows/s) and peak memory of CSV, JSON Lines and xlsx exports of 100k results.

    .venv/bin/python bench/export_rate.py [--results 100000] [--batch 1000]

A throw-away embedded server gets one project with ``--results`` analysed results (built and
inserted as in bench/dashboard_speed.py). Each format is exported through the service the view
streams (``analysis.exports.export_stream`` over the explorer's filter), consuming the chunks as
a client would: once untraced for the rate, once under tracemalloc for the peak of Python
allocations while streaming. The process's peak RSS is printed at the end for reference.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

from dashboard_speed import fill, make_project, start_server, steam_texts, stop_server


def consume(stream) -> tuple[int, int]:
    chunks = size = 0
    for chunk in stream:
        chunks += 1
        size += len(chunk)
    return chunks, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    server, workdir = start_server("bench_export_rate")
    try:
        from analysis import explorer, exports
        from analysis.results_store import reads

        user, project, targets = make_project("exports@example.com", "Export bench")
        fill_seconds = fill(project, targets, args.results, steam_texts())
        labels = explorer.target_choices(project)
        print(f"results {args.results}  batch {args.batch}  insert+rebuild {fill_seconds:.1f}s", flush=True)
        for fmt in exports.FORMATS:
            selection = reads.select(user, project, {})
            start = time.perf_counter()
            chunks, size = consume(exports.export_stream(selection, fmt, labels, batch_size=args.batch))
            seconds = time.perf_counter() - start
            tracemalloc.start()
            consume(
                exports.export_stream(reads.select(user, project, {}), fmt, labels, batch_size=args.batch)
            )
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"{fmt:6} {seconds:6.1f}s  {args.results / seconds:8,.0f} rows/s  {size / 2**20:7.1f} MB in "
                f"{chunks} chunks  peak traced memory {peak / 2**20:6.1f} MB",
                flush=True,
            )
        print(f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        stop_server(server, workdir)


if __name__ == "__main__":
    main()
