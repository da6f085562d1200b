"""The results store: the one place that knows how a project's results are read.

Every read of the ``results`` collection for a page, an export, the API, the insights sample,
job progress or the admin goes through here, so each rule is written once:

- :mod:`~analysis.results_store.filters`: every filter, described once; its database query
  (ORM ``Q`` and raw MongoDB filter) and its in-memory check are both derived from that
  description, as are the fields a windowed read projects;
- :mod:`~analysis.results_store.state`: the filters as URL parameters (parsed, validated,
  rendered back; :mod:`~analysis.results_store.params` reads the values);
- :mod:`~analysis.results_store.sorting`: the sort orders, with their ORM ordering, MongoDB sort,
  in-memory sort key and the index that serves each;
- :mod:`~analysis.results_store.search`: the search box (``$text`` where the server has a text
  index, a pattern match elsewhere);
- :mod:`~analysis.results_store.server`: what the server behind a connection is (asked once per
  client, from its ``buildInfo``);
- :mod:`~analysis.results_store.planner`: which way a read runs on that server;
- :mod:`~analysis.results_store.windows`: windowed reads over an index in sort order, for the
  embedded server;
- :mod:`~analysis.results_store.reads`: the reads the product makes (pages, counts, exports,
  API pages, the insights sample, job progress, pinned evidence);
- :mod:`~analysis.results_store.docs`: values out of raw documents, projections.

Why windows: the embedded server (SecantusDB) uses an index only when every condition of a query
is on that index's fields, reads every document the index range holds before it sorts (in
Python) or applies a limit, and counts by reading every match. On it a query costs what its index
range holds, whatever the limit. Everything that works around that lives in this package; on
MongoDB the same reads are plain indexed queries (sort and limit on the server, ``$text``
search, counts with a limit).
"""
