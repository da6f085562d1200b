"""search_results() over real Steam reviews: the expected matches are computed from the texts."""

import json
import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core.paginator import Paginator

from analysis.models import Content, Result
from analysis.results_store import search
from projects.platforms import Platform
from sentimatrix.mongo import collection
from tests import datamodel_samples as samples

STEAM_FILE = settings.SHARED_DATA_DIR / "platforms" / "steam" / "steamreviews_review_573170.json"
REVIEWS = 40


def steam_reviews():
    reviews = json.loads(STEAM_FILE.read_text())["reviews"]
    return list(reviews.values())[:REVIEWS]


@pytest.fixture
def corpus(db):
    """The same real reviews in Ana's project and in Ben's; Steam has no titles, so the
    verdict ("Recommended"/"Not recommended") is the title, as on the review page."""
    ana, ben = samples.user(), samples.user("ben@example.com")
    projects = {"ana": samples.project(ana), "ben": samples.project(ben)}
    for project in projects.values():
        target = samples.target(project)
        Result.objects.bulk_create(
            Result(
                project=project,
                target=target,
                user=project.user,
                content=Content(
                    text=review["review"],
                    title="Recommended" if review["voted_up"] else "Not recommended",
                    author=review["author"]["steamid"],
                    date=datetime.fromtimestamp(review["timestamp_created"], UTC),
                    platform_id=review["recommendationid"],
                ),
                platform=Platform.STEAM,
            )
            for review in steam_reviews()
        )
    return projects


def expected(project, *, all_of=(), none_of=()):
    """The ids a case-insensitive substring search must find, computed in Python."""
    found = set()
    for result in Result.objects.filter(project=project):
        haystacks = [result.content.text.lower(), result.content.title.lower()]
        if all(any(t.lower() in h for h in haystacks) for t in all_of) and not any(
            t.lower() in h for t in none_of for h in haystacks
        ):
            found.add(result.pk)
    return found


def ids(outcome):
    return set(outcome.queryset.values_list("pk", flat=True))


def mine(corpus):
    return Result.objects.filter(project=corpus["ana"])


def test_the_embedded_server_takes_the_pattern_path(corpus):
    search.forget_text_index()
    assert search.has_text_index() is False
    outcome = search.search_results(mine(corpus), "puzzle")
    assert outcome.mode == "pattern" and not outcome.ranked


def test_finds_words_in_the_text_case_insensitively(corpus):
    want = expected(corpus["ana"], all_of=["puzzle"])
    assert 0 < len(want) < REVIEWS
    for query in ("puzzle", "PUZZLE", "Puzzle"):
        outcome = search.search_results(mine(corpus), query)
        assert ids(outcome) == want
        assert outcome.terms == [query]


def test_finds_by_title(corpus):
    want = expected(corpus["ana"], all_of=["not recommended"])
    assert want  # the recording has negative reviews
    assert ids(search.search_results(mine(corpus), '"not recommended"')) == want


def test_every_term_must_match_and_excluded_terms_must_not(corpus):
    project = corpus["ana"]
    both = expected(project, all_of=["game", "fun"])
    game_only = expected(project, all_of=["game"], none_of=["fun"])
    assert both and game_only  # the recording has both kinds
    assert ids(search.search_results(mine(corpus), "game fun")) == both
    outcome = search.search_results(mine(corpus), "game -fun")
    assert ids(outcome) == game_only
    assert outcome.terms == ["game"]
    only_excluded = search.search_results(mine(corpus), "-game")
    assert ids(only_excluded) == expected(project, none_of=["game"])


def test_regex_metacharacters_are_taken_literally(corpus):
    results = list(mine(corpus))

    def literal_and_regex(snippet):
        literal = expected(corpus["ana"], all_of=[snippet])
        as_regex = {r.pk for r in results if re.search(snippet, r.content.text, re.IGNORECASE)}
        return literal, as_regex

    # The first real snippet with a metacharacter ("it." ...) whose regex reading would
    # find more than its literal reading, so the case tells escaping from no escaping.
    candidates = (m.group(0) for r in steam_reviews() for m in re.finditer(r"\w+[.()?+*]", r["review"]))
    snippet, literal = next((c, lit) for c in candidates for lit, rx in [literal_and_regex(c)] if rx > lit)
    assert literal
    assert ids(search.search_results(mine(corpus), snippet)) == literal
    # As a pattern, "f.n" would match "fun"; as text it matches nothing here.
    assert expected(corpus["ana"], all_of=["f.n"]) == set()
    assert ids(search.search_results(mine(corpus), "f.n")) == set()
    assert ids(search.search_results(mine(corpus), ".*")) == expected(corpus["ana"], all_of=[".*"])


def test_stays_inside_the_queryset_it_is_given(corpus):
    ana_results = mine(corpus)
    everyone = search.search_results(Result.objects.all(), "puzzle")
    ana_only = search.search_results(ana_results, "puzzle")
    assert len(ids(everyone)) == 2 * len(ids(ana_only))  # Ben has the same reviews
    assert all(r.project_id == corpus["ana"].pk for r in ana_only.queryset)
    narrowed = search.search_results(ana_results.filter(content__title="Recommended"), "puzzle")
    assert ids(narrowed) == expected(corpus["ana"], all_of=["puzzle"]) - expected(
        corpus["ana"], all_of=["not recommended"]
    )


def test_outcome_paginates_and_sorts_like_a_queryset(corpus):
    outcome = search.search_results(mine(corpus), "game")
    ordered = outcome.queryset.order_by("-content__date")
    pages = Paginator(ordered, 5)
    assert pages.count == len(expected(corpus["ana"], all_of=["game"]))
    dates = [r.content.date for r in pages.page(1)]
    assert dates == sorted(dates, reverse=True) and len(dates) == min(5, pages.count)


def test_empty_query_returns_the_queryset_unchanged(corpus):
    outcome = search.search_results(mine(corpus), '   ""  ')
    assert outcome.mode == "none" and outcome.terms == []
    assert outcome.queryset.count() == REVIEWS


@pytest.mark.parametrize(
    "query,terms,excluded",
    [
        ('battery "screen glare" -refund', ["battery", "screen glare"], ["refund"]),
        ('-"too short"  Price price', ["Price"], ["too short"]),
        ("- -- (5.0)*", ["-", "(5.0)*"], ["-"]),
        ('"unclosed phrase', ['"unclosed', "phrase"], []),
    ],
)
def test_query_parsing(query, terms, excluded):
    parsed = search.parse_query(query)
    assert (parsed.terms, parsed.excluded) == (terms, excluded)


def _pipeline(queryset):
    """The aggregation pipeline the backend would send for ``list(queryset)``."""
    compiler = queryset.query.get_compiler(queryset.db)
    compiler.pre_sql_setup()
    return compiler.build_query(compiler.columns if queryset.query.annotations else None).get_pipeline()


def test_text_index_path_builds_a_valid_text_query(corpus, monkeypatch):
    """Where the server has the text index (a real MongoDB) the $text path runs; SecantusDB
    cannot execute it, so the pipeline is checked against MongoDB's rules instead."""
    monkeypatch.setattr(search, "has_text_index", lambda alias="default": True)
    outcome = search.search_results(mine(corpus), 'battery "screen glare" -refund')
    assert outcome.mode == "text" and outcome.ranked
    assert outcome.terms == ["battery", "screen glare"]
    pipeline = _pipeline(outcome.queryset)
    first = pipeline[0]["$match"]  # $text must be in the first stage, outside $expr
    assert {"$text": {"$search": 'battery "screen glare" -refund'}} in first["$and"]
    assert {"project_id": corpus["ana"].pk} in first["$and"]
    projected = next(stage["$project"] for stage in pipeline if "$project" in stage)
    assert projected["search_score"] == {"$meta": "textScore"}
    assert next(stage["$sort"] for stage in pipeline if "$sort" in stage)["search_score"] == -1


def test_joined_querysets_and_exclusions_only_take_the_pattern_path(corpus, monkeypatch):
    monkeypatch.setattr(search, "has_text_index", lambda alias="default": True)
    joined = Result.objects.filter(project__user=corpus["ana"].user)
    outcome = search.search_results(joined, "puzzle")
    assert outcome.mode == "pattern"
    assert ids(outcome) == expected(corpus["ana"], all_of=["puzzle"])
    assert search.search_results(mine(corpus), "-puzzle").mode == "pattern"


def test_text_index_detection_recognises_mongodbs_index_shape(db):
    # index_information() of a real MongoDB text index, as created from sentimatrix.dbindexes.
    real = {"key": [("_fts", "text"), ("_ftsx", 1)], "weights": {"content.text": 5, "content.title": 10}}
    assert search._is_text_index(real)
    assert not any(search._is_text_index(info) for info in collection("results").index_information().values())
    search.forget_text_index()
    assert search.has_text_index() is False
    assert next(iter(search._text_index_cache.values()))[1] is False  # cached for the process
