"""The results store: what the server is, each filter's query and in-memory check agreeing, the
windowed reads giving the plain order for every sort (ties, missing values, values many results
share, a cursor's position), the insights sample, pinned evidence, and the indexes behind it."""

import os
import random
import struct
from datetime import timedelta

import pytest
from bson import ObjectId
from django.conf import settings
from django.http import QueryDict
from pymongo import ASCENDING, MongoClient, monitoring

from analysis import insights_cache
from analysis.models import Result
from analysis.results_store import filters, planner, reads, server, sorting, windows
from analysis.results_store.state import FilterState
from analysis.results_store.windows import Budget
from sentimatrix import dbindexes
from sentimatrix.mongo import collection, get_db
from tests.factories import make_user
from tests.results_seed import add_platform_results, result_doc, seed

# --- what the server is ---------------------------------------------------------------------------

#: ``buildInfo`` as MongoDB 7.0 answers it (the fields the store could read; no secantusVersion).
MONGODB_BUILD_INFO = {
    "version": "7.0.12",
    "gitVersion": "b6513ce0781db6818e24619e8a461eae90bc94fc",
    "modules": [],
    "allocator": "tcmalloc",
    "javascriptEngine": "mozjs",
    "sysInfo": "deprecated",
    "versionArray": [7, 0, 12, 0],
    "bits": 64,
    "debug": False,
    "maxBsonObjectSize": 16777216,
    "storageEngines": ["devnull", "wiredTiger"],
    "ok": 1.0,
}


def test_the_embedded_server_is_recognised_by_what_it_reports(db):
    info = get_db().client.admin.command("buildInfo")
    profile = server.profile_from_build_info(info)
    assert profile.kind == server.EMBEDDED and profile.windowed and profile.version == info["secantusVersion"]
    assert server.server_profile() == profile


def test_mongodb_is_recognised_by_what_it_reports():
    profile = server.profile_from_build_info(MONGODB_BUILD_INFO)
    assert profile == server.ServerProfile(server.MONGODB, "7.0.12") and not profile.windowed
    # An 8.x MongoDB reports the same way; a reply claiming the embedded server's field is believed.
    assert server.profile_from_build_info({**MONGODB_BUILD_INFO, "version": "8.0.4"}).kind == server.MONGODB
    assert (
        server.profile_from_build_info({**MONGODB_BUILD_INFO, "secantusVersion": "0.7"}).kind
        == server.EMBEDDED
    )


class _BuildInfoCount(monitoring.CommandListener):
    def __init__(self):
        self.asked = 0

    def started(self, event):
        self.asked += event.command_name == "buildInfo"

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def test_the_server_is_asked_once_per_client(db):
    """Clients to the same server (pymongo's equal clients) share the answer; a new one asks."""
    uri = settings.DATABASES["default"]["HOST"]
    listener = _BuildInfoCount()
    first = MongoClient(uri, event_listeners=[listener])
    second = MongoClient(uri, event_listeners=[listener])
    server._profiles.clear()
    try:
        assert server.profile_of(first).windowed and server.profile_of(first).windowed
        assert server.profile_of(second).windowed and server.server_profile().windowed
        assert listener.asked == 1
        server._profiles.clear()
        assert server.profile_of(second).windowed and listener.asked == 2
    finally:
        first.close()
        second.close()


def test_a_setting_cannot_override_what_the_server_says(seeded, settings):
    settings.USING_EMBEDDED_DB = False
    selection = reads.select(seeded.project.user, seeded.project, {"sort": "score_asc"})
    assert planner.plan(selection, budget=Budget(None)) is not None  # windowed: it is the embedded one


# --- the data ------------------------------------------------------------------------------------


@pytest.fixture
def seeded(db, seed_clock):
    data = seed(make_user(), extra=["Ärger ÜBER den Preis", "Ein Spiel für die ganze Familie"])
    # Comments whose platforms report likes and scores (and no rating).
    add_platform_results(data, "youtube", [f"Video comment {i}" for i in range(8)])
    add_platform_results(data, "reddit", [f"Thread comment {i}" for i in range(8)], start=2000)
    return data


def raw_docs(project, projection=None) -> list[dict]:
    return list(collection("results").find({"project_id": project.pk}, projection))


VALUES = {
    "q": [{"q": "puzzle"}, {"q": "PUZZLE -game"}, {"q": '"the game"'}, {"q": "-puzzle"}, {"q": "über"}],
    "target": [
        lambda s: {"target": str(s.targets[1].pk)},
        lambda s: {"target": [str(t.pk) for t in s.targets[::2]]},
    ],
    "platform": [{"platform": "amazon"}, {"platform": ["youtube", "amazon"]}],
    "sentiment": [{"sentiment": "negative"}, {"sentiment": ["positive", "very_positive"]}],
    "emotion": [{"emotion": "Joy"}, {"emotion": ["anger", "fear"]}],
    "language": [{"language": "de"}],
    "rating_min": [{"rating_min": "4"}, {"rating_min": "2", "rating_max": "4"}, {"rating_max": "2"}],
    "date_field": [
        lambda s: {"tz": "UTC", "date_from": str((s.today - timedelta(days=30)).date())},
        lambda s: {"tz": "Pacific/Auckland", "date_to": str((s.today - timedelta(days=20)).date())},
        lambda s: {
            "date_field": "collected",
            "tz": "UTC",
            "date_from": str((s.today - timedelta(days=1)).date()),
        },
    ],
    "flagged": [{"flagged": "1"}],
    "pinned": [{"pinned": "on"}],
    "tag": [{"tag": "battery"}],
    "status": [{"status": "excluded"}, {"status": "active"}],
    "playtime_min": [
        {"playtime_min": "20"},
        {"playtime_min": "1.5", "playtime_max": "30"},
        {"playtime_max": "5"},
    ],
    "early_access": [{"early_access": "1"}],
    "free": [{"free": "1"}],
    "likes_min": [{"likes_min": "10"}, {"likes_min": "0"}],
    "score_min": [{"score_min": "-3"}, {"score_min": "10"}],
}


def _params(seeded, value):
    return value(seeded) if callable(value) else value


def test_each_filters_query_and_check_select_the_same_results(seeded):
    """Both derivations of every filter, on the same seeded documents: the database's answer to the
    ORM condition, and the in-memory check on documents fetched with only the filter's fields."""
    targets = [str(t.pk) for t in seeded.targets]
    everything = {d["_id"] for d in raw_docs(seeded.project)}
    for f in filters.FILTERS:
        for value in VALUES[f.params[0][0]]:
            state = FilterState.parse(_params(seeded, value), target_ids=targets)
            assert f.active(state) and not state.errors, value
            zone = state.time_zone(seeded.project.user.settings.timezone)
            by_query = set(
                Result.objects.filter(project_id=seeded.project.pk)
                .filter(f.q(state, zone))
                .values_list("pk", flat=True)
            )
            check = f.check(state, zone)
            fetched = raw_docs(seeded.project, {"_id": 1, **dict.fromkeys(f.paths, 1)})
            by_check = {d["_id"] for d in fetched if check(d)}
            assert by_query == by_check, value
            assert 0 < len(by_query) < len(everything), f"{value} would prove nothing"


def _metadata(doc, key):
    return doc["content"]["metadata"].get(key)


@pytest.mark.parametrize(
    ("params", "wanted"),
    [
        (
            {"playtime_min": "20"},
            lambda d: d["platform"] == "steam" and _metadata(d, "playtime_at_review") >= 1200,
        ),
        (
            {"playtime_min": "30", "playtime_max": "1.5"},  # given backwards: taken the right way round
            lambda d: d["platform"] == "steam" and 90 <= _metadata(d, "playtime_at_review") <= 1800,
        ),
        ({"early_access": "1"}, lambda d: _metadata(d, "written_during_early_access") is True),
        ({"free": "1"}, lambda d: _metadata(d, "received_for_free") is True),
        ({"likes_min": "10"}, lambda d: d["platform"] == "youtube" and _metadata(d, "like_count") >= 10),
        ({"score_min": "-3"}, lambda d: d["platform"] == "reddit" and _metadata(d, "score") >= -3),
        (
            {"rating_min": "2", "rating_max": "4"},
            lambda d: d["content"]["rating"] is not None and 2 <= d["content"]["rating"] <= 4,
        ),
    ],
)
def test_each_metadata_filter_selects_the_right_results(seeded, params, wanted):
    """What the platforms reported, filtered through the explorer's selection (status "all", so
    excluded results count too)."""
    selection = reads.select(seeded.project.user, seeded.project, {**params, "status": "all"})
    assert not selection.state.errors
    expected = {d["_id"] for d in seeded.docs if wanted(d)}
    assert 0 < len(expected) < len(seeded.docs)
    assert set(selection.queryset.values_list("pk", flat=True)) == expected


def test_metadata_filters_refuse_what_is_not_a_number(seeded):
    state = FilterState.parse(
        {"playtime_min": "lots", "likes_min": "-1", "score_min": "-4", "early_access": "1"}
    )
    assert set(state.errors) == {"playtime_min", "likes_min"}
    assert state.playtime_min is None and state.likes_min is None and state.score_min == -4
    assert state.query_string() == "early_access=1&score_min=-4"
    assert ("Reddit score from: -4", "early_access=1") in state.chips()


def test_filters_together_agree_too(seeded):
    targets = [str(t.pk) for t in seeded.targets]
    for params in (
        {
            "platform": "steam",
            "sentiment": ["negative", "very_negative"],
            "rating_max": "2",
            "language": "en",
        },
        {"q": "game", "target": targets[0], "status": "all", "emotion": "joy"},
        {"tag": "battery", "pinned": "1", "status": "all"},
    ):
        state = FilterState.parse(params, target_ids=targets)
        zone = state.time_zone()
        by_query = set(
            Result.objects.filter(project_id=seeded.project.pk)
            .filter(filters.conditions(state, zone))
            .values_list("pk", flat=True)
        )
        check = filters.check(state, zone)
        fetched = raw_docs(seeded.project, {"_id": 1, **dict.fromkeys(filters.paths(state), 1)})
        assert by_query == {d["_id"] for d in fetched if check(d)}, params


# --- windowed reads --------------------------------------------------------------------------------


def _oid(seconds: int, counter: int) -> ObjectId:
    """An id made ``seconds`` after the epoch (ids of one second differ in their counter)."""
    return ObjectId(struct.pack(">I", seconds) + os.urandom(5) + counter.to_bytes(3, "big"))


@pytest.fixture
def crowded(db, seed_clock):
    """Results full of ties: collected in batches at one instant, posted on the same few days,
    scored and rated with a few values (and none), ids spread over hours."""
    data = seed(make_user(), count=0, texts=[], name="Crowded")
    rng = random.Random(5)
    base = int(data.project.pk.generation_time.timestamp())
    docs = []
    for i in range(320):
        doc = result_doc(
            data.project, data.targets[i % 3], f"Review {i} about the game", rng, now=data.today, i=i
        )
        doc["_id"] = _oid(base + rng.randint(0, 3 * 3600), i)
        doc["created_at"] = data.today - timedelta(minutes=10 * (i // 40))
        doc["content"]["date"] = None if i % 9 == 0 else data.today - timedelta(days=i % 4)
        doc["content"]["rating"] = (
            [None, 1.0, 5.0, 5.0, 4.5, 3][i % 6] if doc["platform"] == "amazon" else [1.0, 5.0][i % 2]
        )
        if doc["analysis"]["sentiment"]:
            doc["analysis"]["sentiment"]["score"] = [-0.5, 0.0, 0.5, 0.5, rng.uniform(-1, 1)][i % 5]
        docs.append(doc)
    collection("results").insert_many(docs)
    collection("projects").update_one({"_id": data.project.pk}, {"$set": {"stats.total_results": len(docs)}})
    data.docs = docs
    return data


@pytest.fixture
def tiny_windows(monkeypatch):
    """Windows of a few results, values shared by ten read apart: every path of a read runs."""
    monkeypatch.setattr(windows, "TARGET", 6)
    monkeypatch.setattr(windows, "HEAVY_GROUP", 10)
    windows.forget_learned()
    yield
    windows.forget_learned()


FILTER_PARAMS = [
    "", "status=all", "status=excluded", "platform=amazon", "sentiment=negative&sentiment=very_negative",
    "sentiment=positive", "rating_min=4.5", "rating_min=1&rating_max=4.5", "tz=UTC&date_from=2030-07-16",
    "date_field=collected&tz=UTC&date_to=2030-07-17", "q=game", "tag=battery", "pinned=1",
    "playtime_min=10&playtime_max=40", "early_access=1&free=1",
]  # fmt: skip


def _windowed(selection, after=None) -> list:
    read = planner.plan(selection, budget=Budget(None), after=after)
    assert read is not None
    return [d["_id"] for d in read.matches()]


@pytest.mark.parametrize("sort", [s for s in sorting.SORTS if s != sorting.RELEVANCE])
def test_every_order_with_every_filter_reads_the_plain_order(crowded, tiny_windows, sort):
    user = crowded.project.user
    for params in FILTER_PARAMS:
        for _ in range(2):  # the second time with the values the first read learnt to take apart
            selection = reads.select(user, crowded.project, QueryDict(f"{params}&sort={sort}"))
            want = list(selection.queryset.values_list("pk", flat=True))
            assert _windowed(selection) == want, params


@pytest.mark.parametrize("sort", [s for s in sorting.SORTS if s != sorting.RELEVANCE])
def test_a_read_can_start_after_any_position(crowded, tiny_windows, sort):
    """The API's cursor: from results all along the order, the rest of the plain order."""
    user = crowded.project.user
    for params in ("status=all", "sentiment=positive"):
        selection = reads.select(user, crowded.project, QueryDict(f"{params}&sort={sort}"))
        results = list(selection.queryset)
        order = sorting.SORTS[selection.state.sort]
        for i in range(0, len(results), 37):
            last = results[i]
            value = Result.objects.filter(pk=last.pk).values_list(order.orm_path, flat=True).first()
            position = reads.position(value, last.pk)
            assert _windowed(selection, after=position) == [r.pk for r in results[i + 1 :]], (params, i)


def test_values_many_results_share_are_learnt_and_read_apart(crowded, tiny_windows):
    selection = reads.select(crowded.project.user, crowded.project, QueryDict("sort=score_desc"))
    first = Budget(None)
    list(planner.plan(selection, budget=first).matches())
    memory = (get_db().name, str(crowded.project.pk), "analysis.sentiment.score", None)
    assert {0.5, 0.0, -0.5} <= windows.learned_heavy_values(memory)
    second = Budget(None)
    assert [d["_id"] for d in planner.plan(selection, budget=second).matches()] == list(
        selection.queryset.values_list("pk", flat=True)
    )


def test_whole_star_ratings_are_read_by_id_windows(crowded, monkeypatch):
    """A rating order never asks for a range holding a whole star's results at once."""
    asked = []
    real = windows.Stream._query

    def query(self, condition):
        asked.append(condition)
        return real(self, condition)

    monkeypatch.setattr(windows.Stream, "_query", query)
    selection = reads.select(crowded.project.user, crowded.project, QueryDict("sort=rating_desc"))
    assert _windowed(selection) == list(selection.queryset.values_list("pk", flat=True))
    for condition in asked:
        rating = condition.get("content.rating")
        if isinstance(rating, dict):  # a range between whole stars holds none of them
            low, high = rating.get("$gte", float("-inf")), rating.get("$lt", float("inf"))
            assert not any(low <= star < high for star in sorting.SORTS["rating_desc"].heavy), condition


def test_reads_stay_in_the_project_and_refuse_other_users(crowded, seeded):
    mine = {d["_id"] for d in crowded.docs}
    for sort in sorting.SORTS:
        selection = reads.select(crowded.project.user, crowded.project, {"sort": sort, "status": "all"})
        assert set(_windowed(selection)) == mine
    with pytest.raises(reads.ProjectNotFound):
        reads.select(seeded.project.user, crowded.project, {})


# --- the insights sample, pinned evidence -------------------------------------------------------------


def _newest_analysed(docs, limit, keep=lambda d: True):
    chosen = [d for d in docs if keep(d) and d["analysis"]["sentiment"] and not d["excluded"]]
    chosen.sort(key=lambda d: (d["created_at"], d["_id"]), reverse=True)
    return [d["_id"] for d in chosen[:limit]]


@pytest.mark.parametrize("limit", [7, 50, 1000])
def test_the_insights_sample_is_the_newest_analysed_results(crowded, tiny_windows, limit):
    project = crowded.project
    got = [d["_id"] for d in insights_cache.latest_analysed(project.pk, limit=limit)]
    assert got == _newest_analysed(crowded.docs, limit)
    target = crowded.targets[1]
    got = [d["_id"] for d in insights_cache.latest_analysed(project.pk, target.pk, limit=limit)]
    assert got == _newest_analysed(crowded.docs, limit, lambda d: d["target_id"] == target.pk)


def test_pinned_evidence_is_the_newest_pinned_in_statistics(crowded):
    got = [r.pk for r in reads.pinned(crowded.project, 5)]
    pinned = [d for d in crowded.docs if d["pinned"] and not d["excluded"]]
    pinned.sort(key=lambda d: (d["created_at"], d["_id"]), reverse=True)
    assert got == [d["_id"] for d in pinned[:5]] and len(got) == 5


# --- the indexes --------------------------------------------------------------------------------


def test_every_order_has_its_index_in_the_registry(db):
    registry = {spec.name: spec for spec in dbindexes.specs_for("results")}
    existing = get_db()["results"].index_information()
    for sort in sorting.SORTS.values():
        if sort.path is None:
            continue
        spec = registry[sort.index]
        assert spec.keys == (("project_id", 1), ("excluded", 1), (sort.path, 1), ("_id", 1)), sort.key
        assert sort.index in existing
    label = registry[sorting.LABEL_SCORE_INDEX]
    assert [k for k, _ in label.keys] == [
        "project_id",
        "excluded",
        planner.LABEL,
        "analysis.sentiment.score",
        "_id",
    ]
    # Every field ascends (see sentimatrix.dbindexes); the superseded listing index is gone.
    assert all(
        direction == ASCENDING
        for name in registry
        for _, direction in registry[name].keys
        if name.startswith("results_project")
    )
    assert "results_project_excluded_created" not in existing
