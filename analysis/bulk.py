"""Triage of many results at once, and the rules every triage action follows.

A triage action (tag, untag, exclude, include again, pin, unpin) is written here once, as an
update of every result a MongoDB condition matches. The result page's buttons
(:mod:`analysis.explorer`) apply it to one result, the explorer's bulk bar to its selection:

- **explicit ids**: the rows the user ticked (at most :data:`MAX_IDS`), always narrowed to the
  project, so an id of someone else's result changes nothing;
- **all matching**: the server derives the set again from the filter parameters through the
  results store (:func:`analysis.results_store.reads.select`); a client's list is never trusted.

The ids of the selection are read in batches of :data:`CHUNK` and each batch is changed by one
``update_many`` (on the embedded server one per :data:`EMBEDDED_UPDATE_CHUNK`): 10,000 results
take a couple of reads and two (forty) updates, never one query per result. Excluding and
including again also move the results' contributions out of (or back into) the statistics
(:func:`analysis.pipeline.set_excluded_many`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from bson import ObjectId
from celery import current_app
from django.conf import settings
from django.http import QueryDict
from django.utils import timezone

from accounts.models import User
from analysis import pipeline
from analysis.models import Result
from analysis.results_store import reads
from analysis.results_store.filters import clean_tag
from analysis.results_store.server import server_profile
from analysis.results_store.sorting import DEFAULT_SORT, RELEVANCE, SORTS
from projects.models import Project
from sentimatrix.mongo import collection

MAX_TAGS = 20
#: Rows a request may name by id (a page shows at most 200).
MAX_IDS = 1000
#: Ids read per batch from the selection.
CHUNK = 5000
#: Results one update names on the embedded server: it checks each candidate against the whole
#: ``$in`` list (twice), so a long list costs its square. Measured at 10,000 results: 1.8 ms a
#: result in updates of 100, 2.1 of 250, 2.5 of 500, 6.9 of 2,000, 20 of 4,000.
EMBEDDED_UPDATE_CHUNK = 250

#: action -> (past tense for the confirmation, needs a tag)
ACTIONS = {
    "tag": ("Tagged", True),
    "untag": ("Untagged", True),
    "exclude": ("Marked as spam/irrelevant", False),
    "include": ("Included again", False),
    "pin": ("Pinned", False),
    "unpin": ("Unpinned", False),
}
EXPORT = "export"
SCOPES = ("ids", "all")


class BulkRefused(ValueError):
    """The request cannot be applied (no rows chosen, no tag, unknown action); ``str`` says why."""


# --- the rules, on any condition -------------------------------------------------------------


def add_tag_where(match: dict, tag: str) -> int:
    """Add ``tag`` (already cleaned) to the results ``match`` finds that lack it and have fewer
    than :data:`MAX_TAGS` tags; the number changed."""
    return (
        collection("results")
        .update_many(
            {**match, "tags": {"$ne": tag}, f"tags.{MAX_TAGS - 1}": {"$exists": False}},
            {"$addToSet": {"tags": tag}, "$set": {"updated_at": timezone.now()}},
        )
        .modified_count
    )


def remove_tag_where(match: dict, tag: str) -> int:
    """Take ``tag`` off the results ``match`` finds; the number changed."""
    return (
        collection("results")
        .update_many({**match, "tags": tag}, {"$pull": {"tags": tag}, "$set": {"updated_at": timezone.now()}})
        .modified_count
    )


def set_pinned_where(match: dict, pinned: bool) -> int:
    """Pin (or unpin) the results ``match`` finds; the number changed."""
    return (
        collection("results")
        .update_many(
            {**match, "pinned": {"$ne": pinned}}, {"$set": {"pinned": pinned, "updated_at": timezone.now()}}
        )
        .modified_count
    )


# --- selections ------------------------------------------------------------------------------


@dataclass
class BulkSelection:
    """What a bulk action applies to: the results store's selection (the filters) and, for the
    ``ids`` scope, the rows chosen by hand."""

    selection: reads.Selection
    scope: str
    ids: list[ObjectId]

    @property
    def project(self):
        return self.selection.project


def parse_ids(values) -> list[ObjectId]:
    """Valid, distinct ObjectIds out of ``values`` (others are dropped), at most :data:`MAX_IDS`."""
    out: list[ObjectId] = []
    for value in values:
        if ObjectId.is_valid(value) and (oid := ObjectId(value)) not in out:
            out.append(oid)
        if len(out) >= MAX_IDS:
            break
    return out


def selection_for(
    user, project, params, *, scope: str, ids, targets: dict[str, str] | None = None
) -> BulkSelection:
    """The results a bulk request names: every result matching ``params`` (the filters of the
    page it came from) for the ``all`` scope, else the chosen ``ids`` of the project.

    The project must be the user's (else ``ProjectNotFound``, as every read of the store).
    """
    if scope not in SCOPES:
        raise BulkRefused("Choose the rows to change, or every result matching the filters.")
    selection = reads.select(user, project, params, targets=targets)
    if scope == "all":
        return BulkSelection(selection, scope, [])
    chosen = parse_ids(ids)
    if not chosen:
        raise BulkRefused("No result chosen: tick the rows to change first.")
    # Only the project's own results, in the page's order: a foreign id matches nothing.
    # (Relevance ranks a search; ticked rows have none: they keep the default order.)
    sort = selection.state.sort if selection.state.sort != RELEVANCE else DEFAULT_SORT
    queryset = Result.objects.filter(project_id=project.pk, pk__in=chosen).order_by(*SORTS[sort].ordering())
    return BulkSelection(replace(selection, queryset=queryset), scope, chosen)


def id_batches(chosen: BulkSelection) -> Iterator[list[ObjectId]]:
    """The ids of the selection's results, :data:`CHUNK` at a time."""
    for batch in reads.export_batches(chosen.selection, {"_id": 1}, batch_size=CHUNK):
        yield [doc["_id"] for doc in batch]


def count(chosen: BulkSelection) -> int:
    """How many results the selection holds."""
    return sum(len(ids) for ids in id_batches(chosen))


def apply(chosen: BulkSelection, action: str, tag: str = "") -> tuple[int, int]:
    """Apply ``action`` (a key of :data:`ACTIONS`) to the selection; returns (results in the
    selection, results changed)."""
    tag = check_action(action, tag)
    total = changed = 0
    project_id = chosen.project.pk
    size = EMBEDDED_UPDATE_CHUNK if server_profile(chosen.selection.db).windowed else CHUNK
    for batch in id_batches(chosen):
        total += len(batch)
        for start in range(0, len(batch), size):
            match = {"_id": {"$in": batch[start : start + size]}, "project_id": project_id}
            if action == "tag":
                changed += add_tag_where(match, tag)
            elif action == "untag":
                changed += remove_tag_where(match, tag)
            elif action in {"pin", "unpin"}:
                changed += set_pinned_where(match, action == "pin")
            else:
                changed += pipeline.set_excluded_many(match, action == "exclude")
    return total, changed


def check_action(action: str, tag: str = "") -> str:
    """The tag an action needs, cleaned (refused: an unknown action, a missing or invalid tag)."""
    if action not in ACTIONS:
        raise BulkRefused("Unknown action.")
    if not ACTIONS[action][1]:
        return ""
    tag = clean_tag(tag)
    if not tag:
        raise BulkRefused("Tags are 1 to 64 characters, without commas.")
    return tag


def in_background(chosen: BulkSelection) -> int | None:
    """How many results a selection of every matching result holds when it is too large to
    change within a request (:setting:`BULK_BACKGROUND_ABOVE`); None: apply it now."""
    if chosen.scope != "all":
        return None  # ticked rows: at most MAX_IDS, quick
    total = count(chosen)
    return total if total > settings.BULK_BACKGROUND_ABOVE else None


def start_in_background(user, chosen: BulkSelection, action: str, tag: str, query: str) -> None:
    """Queue the action over every result matching ``query`` (the page's filters) for a worker
    (``analysis.bulk_apply``). The worker derives the selection again, as the request did; every
    action leaves a result as it found it when applied twice, so a task run again is harmless."""
    tag = check_action(action, tag)
    current_app.send_task(
        "analysis.bulk_apply",
        args=[str(user.pk), str(chosen.project.pk), query, action, tag],
    )


def background_message(action: str, total: int, tag: str = "") -> str:
    """What the user is told when the action runs on a worker."""
    done, with_tag = ACTIONS[action]
    what = f"{done} {total:,} results" + (f" “{clean_tag(tag)}”" if with_tag else "")
    return f"{what}: in the background, as there are many; reload in a minute to see them all."


def apply_for(user_id: str, project_id: str, query: str, action: str, tag: str) -> tuple[int, int]:
    """A queued bulk action (:func:`start_in_background`): the user's project is loaded again
    (gone, or no longer theirs: nothing happens) and every matching result is changed."""
    user = User.objects.filter(pk=ObjectId(user_id)).first()
    project = Project.objects.filter(pk=ObjectId(project_id), user=user).first() if user else None
    if project is None:
        return 0, 0
    chosen = selection_for(user, project, QueryDict(query), scope="all", ids=[])
    return apply(chosen, action, tag)


def confirmation(action: str, total: int, changed: int, tag: str = "") -> str:
    """What the user is told after a bulk action."""
    done, with_tag = ACTIONS[action]
    noun = "result" if total == 1 else "results"
    what = f"{done} {total:,} {noun}"
    if with_tag:
        what += f" “{clean_tag(tag)}”"
    unchanged = total - changed
    if unchanged:
        what += f" ({unchanged:,} already so{' or at the tag limit' if action == 'tag' else ''})"
    return what + "."
