"""Windowed reads over an index in sort order, for the embedded server.

The embedded server (SecantusDB) reads every document of a query's index range before it sorts
or applies a limit, so a query costs what its range holds, whatever the limit. A windowed read
therefore asks for a narrow range at a time: each query names only the fields of one index
(equalities on its leading fields, one range on the next), the server answers from that index,
and the window's documents are sorted here (by value, then id, as MongoDB sorts) and handed on,
until the caller has what it needs.

Where the values lie is given by a :class:`Hint` (from the project's counters, its daily
statistics or a small sample, see :mod:`analysis.results_store.planner`): windows are sized to
hold about :data:`TARGET` documents at the hinted density and adapt to what they find (an empty
window makes the next one wider, a crowded one the next one narrower); beyond the hinted range one
query reads each side, which is normally empty. A hint only changes the cost, never the results:
every value of the range is read by exactly one query.

Values many results share (whole-star ratings, or any value a window found in bulk, remembered per
process) would make any window around them large. Such a value is read apart, as an equality on
the sort field, its results paged through by id (the index's last field, which is also the
order's tie-break). Results without a value (missing or null) sort first in an ascending order and
last in a descending one, as MongoDB sorts them; they are read the same way.

A read stops when the caller stops asking, or when its :class:`Budget` of documents is spent (the
caller then knows it saw only part of the range: ``budget.exhausted``).

SecantusDB 0.7 notes: a ``$lte`` bound on an index field that is not the index's last drops the
documents equal to the bound (and so does ``$gte`` on such a field indexed descending), and
``$gt`` reads them all before discarding them. Windows are therefore always ``[low, high)``
(``$gte``/``$lt``) on ascending index fields, an inclusive upper end becoming ``$lt`` the next
value up.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection

from analysis.results_store.docs import aware, get_path
from analysis.results_store.filters import Bounds
from analysis.results_store.sorting import DATE, rank

#: Documents a window aims at.
TARGET = 80
#: How much wider the next window is after an empty one (and at most after a sparse one): a
#: window that widened fast across an empty stretch would land on the dense part beyond it whole.
GROWTH = 2.0
#: Empty windows in a row after which the windows over one value's ids widen past what the
#: hinted density allows: soon for results without a value (usually few or none), later for a
#: value read apart because many results share it.
SPARSE_AFTER = {"missing": 1, "shared": 4}
#: A value at least this many results of one window share is read apart from then on.
HEAVY_GROUP = 200
_learned_heavy: dict[tuple, set] = {}
#: The smallest magnitude a window's bound takes (see :meth:`Line.next_up`).
TINY = 1e-120
_LEARNED_LIMIT = 5000


@dataclass
class Budget:
    """How many documents a read may still fetch (shared by every stream of one read)."""

    limit: int | None = None
    read: int = 0
    queries: int = 0
    exhausted: bool = False

    def allows(self) -> bool:
        if self.limit is not None and self.read >= self.limit:
            self.exhausted = True
        return not self.exhausted

    def spend(self, docs: int) -> None:
        self.read += docs
        self.queries += 1


# --- number lines ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A sort field's values as numbers: dates are seconds since the epoch, ids the second their
    timestamp names (an ObjectId starts with the second it was made in)."""

    kind: str  # "number", "date" or "id"

    def to_number(self, value: Any) -> float:
        if self.kind == DATE:
            return aware(value).timestamp()
        if self.kind == "id":
            return float(int(value.generation_time.timestamp()))
        return float(value)

    def to_value(self, number: float) -> Any:
        if self.kind == DATE:
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=number)
        if self.kind == "id":
            seconds = min(max(0, math.floor(number)), 2**32 - 1)
            return ObjectId.from_datetime(datetime.fromtimestamp(seconds, UTC))
        return number

    def next_up(self, value: Any) -> float:
        """The number of the smallest stored value above ``value``."""
        if self.kind == DATE:
            return self.to_number(aware(value) + timedelta(milliseconds=1))  # MongoDB keeps ms
        if self.kind == "id":
            return self.to_number(value) + 1
        above = math.nextafter(float(value), math.inf)
        if 0 < abs(above) < TINY:
            # SecantusDB 0.7 keys a number by its decimal exponent in one byte: below 1e-128 a
            # bound is misplaced (``$gte: 5e-324`` finds nothing above it). No score or rating
            # is that close to zero: step over them.
            return TINY if above > 0 else 0.0
        return above

    @property
    def smallest(self) -> float:
        """The narrowest window worth asking for."""
        return {DATE: 1e-3, "id": 1.0}.get(self.kind, 1e-12)

    @property
    def first_width(self) -> float:
        """A first window's width when nothing is known of the density."""
        return {DATE: 60.0, "id": 1.0}.get(self.kind, 1e-3)

    @property
    def limits(self) -> tuple[float, float]:
        """Where windows stop: past these one query reads the rest."""
        if self.kind == "id":
            return 0.0, float(2**32 - 1)
        if self.kind == DATE:
            return -2208988800.0, 7258118400.0  # 1900 .. 2200
        return -1e12, 1e12


ID_LINE = Line("id")


@dataclass(frozen=True)
class Hint:
    """Where a stream's values are expected (numbers of its line, None: unknown) and how many."""

    low: float | None = None
    high: float | None = None
    count: int | None = None

    def density(self) -> float | None:
        if self.low is None or self.high is None or not self.count or self.high <= self.low:
            return None
        return self.count / (self.high - self.low)


@dataclass(frozen=True)
class Axis:
    """What a run of windows steps along: a line, the field on it, where its values lie, and
    equalities beside the stream's prefix (a value read apart: its results step along ids)."""

    line: Line
    path: str
    hint: Hint
    equal: dict = field(default_factory=dict)
    sparse_after: float = math.inf  # empty windows in a row that lift the density's limit

    def inner(self, low: float | None, high: float | None) -> tuple[float, float]:
        """The part of [low, high) windows step through: within the hint and the line's limits."""
        floor, ceiling = self.line.limits
        inner_low = max(x for x in (low, self.hint.low, floor) if x is not None)
        inner_high = min(x for x in (high, self.hint.high, ceiling) if x is not None)
        if inner_high < inner_low:  # the hint lies outside [low, high): one query reads it
            edge = low if low is not None else inner_high
            return edge, edge
        return inner_low, inner_high

    def condition(self, low: float | None, high: float | None) -> dict:
        """The field within [low, high) (numbers of the line; None: unbounded)."""
        bounds: dict = {}
        if low is not None:
            bounds["$gte"] = self.line.to_value(low)
        if high is not None:
            bounds["$lt"] = self.line.to_value(high)
        return {self.path: bounds} if bounds else {}


@dataclass
class Stream:
    """One index range read in sort order: equalities on the index's leading fields
    (``prefix``), then ``path`` ascending or descending, ties by id."""

    collection: Collection
    prefix: dict
    path: str
    line: Line
    descending: bool
    projection: dict
    budget: Budget
    bounds: Bounds | None = None
    hint: Hint = field(default_factory=Hint)
    id_hint: Hint = field(default_factory=Hint)
    heavy: tuple = ()
    split_ties: bool = True  # the index ends with _id: one value's results page by id
    after: tuple | None = None  # start after this position (a key of :meth:`key`)
    memory: tuple = ()  # where learned heavy values are remembered
    nulls_expected: int | None = None  # how many results lack a value, when the counters say
    first: int = TARGET  # documents the stream's first window aims at (a page needs a few)
    _started: bool = field(default=False, init=False, repr=False)

    def key(self, doc: dict) -> tuple:
        """The document's place in the ascending order: (type rank, value, id)."""
        return (*rank(aware(get_path(doc, self.path))), doc["_id"])

    def __iter__(self) -> Iterator[dict]:
        for part in self._parts():
            yield from part

    # --- the parts of the line, in walk order -------------------------------------------

    def _parts(self) -> Iterator[Iterator[dict]]:
        nulls = self.bounds is None or self.bounds.nulls
        low, high = self._range()
        pieces: list = []
        edge = low
        for point in sorted(self._heavy_points(low, high), key=self.line.to_number):
            pieces.append(("range", edge, self.line.to_number(point)))
            pieces.append(("point", point))
            edge = self.line.next_up(point)
        pieces.append(("range", edge, high))
        if self.descending:
            pieces.reverse()
        if nulls and not self.descending:
            yield self._point(None)
        for piece in pieces:
            yield self._point(piece[1]) if piece[0] == "point" else self._range_part(piece[1], piece[2])
        if nulls and self.descending:
            yield self._point(None)

    def _range(self) -> tuple[float | None, float | None]:
        """[low, high) of the values to read, as numbers (None: unbounded)."""
        bounds = self.bounds or Bounds()
        low = high = None
        if bounds.low is not None:
            low = self.line.to_number(bounds.low) if bounds.low_inclusive else self.line.next_up(bounds.low)
        if bounds.high is not None:
            high = (
                self.line.next_up(bounds.high) if bounds.high_inclusive else self.line.to_number(bounds.high)
            )
        return low, high

    def _heavy_points(self, low: float | None, high: float | None) -> set:
        if not self.split_ties:
            return set()
        points = set(self.heavy) | _learned_heavy.get(self.memory, set())
        return {
            v
            for v in points
            if (low is None or self.line.to_number(v) >= low)
            and (high is None or self.line.to_number(v) < high)
        }

    # --- where to start (a cursor's position) --------------------------------------------

    def _before_start(self, last_key: tuple) -> bool:
        """Whether everything up to ``last_key`` (in walk order) comes before the start."""
        if self.after is None:
            return False
        return last_key < self.after[:2] if not self.descending else last_key > self.after[:2]

    def _keep(self, docs: list[dict]) -> list[dict]:
        if self.after is None:
            return docs
        after = self.after
        return [d for d in docs if (self.key(d) < after if self.descending else self.key(d) > after)]

    # --- reading ------------------------------------------------------------------------

    def _query(self, condition: dict) -> list[dict]:
        cursor = self.collection.find({**self.prefix, **condition}, self.projection)
        try:
            docs = list(cursor)
        finally:
            cursor.close()
        self.budget.spend(len(docs))
        return docs

    def _sorted(self, docs: list[dict]) -> list[dict]:
        docs.sort(key=self.key, reverse=self.descending)
        return self._keep(docs)

    def _point(self, value: Any) -> Iterator[dict]:
        """The results whose value is ``value`` (None: missing or null), in id order."""
        if self._before_start(rank(aware(value))):
            return
        equal = {self.path: value}
        few = value is None and self.nulls_expected is not None and self.nulls_expected <= TARGET
        if not self.split_ties or few:
            if self.budget.allows():
                yield from self._sorted(self._query(equal))
            return
        low = high = None
        if self.after is not None and rank(aware(value)) == self.after[:2]:
            # The position is inside this value's results: start at its id.
            second = ID_LINE.to_number(self.after[2])
            low, high = (None, second + 1) if self.descending else (second, None)
        sparse = SPARSE_AFTER["missing" if value is None else "shared"]
        yield from self._windows(Axis(ID_LINE, "_id", self.id_hint, equal, sparse), low, high)

    def _range_part(self, low: float | None, high: float | None) -> Iterator[dict]:
        if self.after is not None:
            low, high = self._from_start(low, high)
        if low is not None and high is not None and low >= high:
            return
        yield from self._windows(Axis(self.line, self.path, self.hint), low, high)

    def _from_start(self, low: float | None, high: float | None) -> tuple:
        """[low, high) narrowed to what lies at or after the start position (empty: (0, 0))."""
        assert self.after is not None  # only asked when the read starts after a position
        after_rank = self.after[:2]
        if after_rank[0] == 0:  # the position is among the missing values ...
            return (0.0, 0.0) if self.descending else (low, high)  # ... last when descending
        position = self.line.to_number(after_rank[1])
        if self.descending:
            upper = self.line.next_up(after_rank[1])
            return low, upper if high is None else min(high, upper)
        return (position if low is None else max(low, position)), high

    def _windows(self, axis: Axis, low: float | None, high: float | None) -> Iterator[dict]:
        """Every result with the axis's field in [low, high) (None: unbounded), window by window
        in the stream's direction. Beyond the hinted range (and the line's limits) one query reads
        each side; inside, windows adapt to what they find."""
        inner_low, inner_high = axis.inner(low, high)
        outer_low = (low, inner_low) if low is None or low < inner_low else None
        outer_high = (inner_high, high) if high is None or inner_high < high else None
        first, last = (outer_high, outer_low) if self.descending else (outer_low, outer_high)
        for bounds in (first, "walk", last):
            if bounds == "walk":
                yield from self._walk(axis, inner_low, inner_high)
            elif bounds is not None:
                if not self.budget.allows():
                    return
                yield from self._sorted(self._window(axis, *bounds))

    def _walk(self, axis: Axis, start: float, end: float) -> Iterator[dict]:
        """Adaptive windows over [start, end) (both finite), in the stream's direction."""
        density = axis.hint.density()
        aim = TARGET if self._started else self.first
        width = max(aim / density if density else axis.line.first_width, axis.line.smallest)
        # Where the hint gives a density, an empty window widens the next only up to what would
        # hold two windows' worth there: an empty stretch ends on data at that density. The
        # results of one value (read by id) may be far fewer than the hint's, or none: there a
        # few empty windows in a row lift that limit, and windows widen faster from then on.
        widest = max(width, GROWTH * TARGET / density) if density else math.inf
        empty_run = 0
        position = end if self.descending else start
        while (position > start) if self.descending else (position < end):
            if not self.budget.allows():
                return
            if self.descending:
                window = (max(start, position - width), position)
            else:
                window = (position, min(end, position + width))
            docs = self._window(axis, *window)
            yield from self._sorted(docs)
            position = window[0] if self.descending else window[1]
            if docs:
                self._started = True
                empty_run, growth = 0, min(GROWTH, max(1 / 8, TARGET / len(docs)))
            else:
                empty_run += 1
                growth = GROWTH * GROWTH if empty_run > axis.sparse_after else GROWTH
            limit = widest if empty_run < axis.sparse_after else math.inf
            width = max(min(width * growth, limit), axis.line.smallest)

    def _window(self, axis: Axis, low: float | None, high: float | None) -> list[dict]:
        docs = self._query({**axis.equal, **axis.condition(low, high)})
        if axis.path == self.path and not axis.equal:
            self._learn(docs)
        return docs

    def _learn(self, docs: list[dict]) -> None:
        """Remember the values one window found in bulk: later reads take them apart."""
        if not self.split_ties or len(docs) < HEAVY_GROUP or not self.memory:
            return
        counts: dict = {}
        for doc in docs:
            value = aware(get_path(doc, self.path))
            if value is not None:
                counts[value] = counts.get(value, 0) + 1
        heavy = {v for v, n in counts.items() if n >= HEAVY_GROUP}
        if heavy:
            if len(_learned_heavy) >= _LEARNED_LIMIT:
                _learned_heavy.clear()
            _learned_heavy.setdefault(self.memory, set()).update(heavy)


def learned_heavy_values(memory: tuple) -> set:
    """The values learned heavy for ``memory`` (for tests and diagnostics)."""
    return set(_learned_heavy.get(memory, set()))


def forget_learned() -> None:
    _learned_heavy.clear()
