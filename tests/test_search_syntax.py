"""A monitor's query read once (words, "phrases", -exclusions) and written for each platform's search."""

import pytest

from analysis.results_store.search import parse_query as explorer_query
from scraping.collectors.search.syntax import QueryTerms, parse_query


def test_words_phrases_and_exclusions_are_told_apart():
    terms = parse_query('battery  "screen   glare" -refund -"customer service" Battery')
    assert terms == QueryTerms(
        words=("battery",), phrases=("screen glare",), excluded=("refund", "customer service")
    )


def test_written_back_in_the_search_syntax_the_platforms_share():
    terms = parse_query('battery "screen glare" -refund -"customer service"')
    assert terms.search_syntax() == 'battery "screen glare" -refund -"customer service"'
    assert parse_query('  "" - ').search_syntax() == "-"  # a lone dash is a word like any other
    assert parse_query("").search_syntax() == ""


@pytest.mark.parametrize(
    ("query", "tag"),
    [("#NimbusNotes", "NimbusNotes"), ("  #nimbus_notes ", "nimbus_notes"), ("#nimbus notes", None),
     ("#nimbus -refund", None), ('"#nimbus"', "nimbus"), ("nimbus", None), ("#", None), ("#a-b", None)],
)  # fmt: skip
def test_a_single_hashtag_is_recognised(query, tag):
    assert parse_query(query).hashtag() == tag


def test_exclusions_are_checked_without_regard_to_case():
    terms = parse_query('nimbus -Refund -"customer service"')
    assert terms.excludes("They gave me a REFUND")
    assert terms.excludes("Customer service was kind")
    assert not terms.excludes("Sync is fast")


@pytest.mark.parametrize(
    "query",
    [
        'battery "screen glare" -refund',
        '-"a b" -c d "e"',
        '  x  -  -y "" z ',
        'A a "B b" "b B" -C -c',
        'nimbus "Nimbus"',
    ],
)
def test_a_query_splits_as_the_explorer_splits_it(query):
    """A monitor's query means what it means in the explorer's search box."""
    terms = parse_query(query)
    explorer = explorer_query(query)
    assert sorted([*terms.words, *terms.phrases]) == sorted(explorer.terms)
    assert list(terms.excluded) == explorer.excluded
