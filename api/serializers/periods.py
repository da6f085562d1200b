"""Two periods of a project compared (:func:`analysis.periods.compare_periods`): their bounds,
totals, the change of each figure, the topics that rose and fell, and where the results behind
each number are (the explorer page and the results endpoint, filtered alike)."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.fields import id_field
from api.serializers.markers import MarkerSerializer
from api.serializers.stats import LabelCountsSerializer


class NumberField(serializers.FloatField):
    """A number as computed: a count stays a whole number, an average a decimal."""

    def to_representation(self, value):
        return value


class ResultLinksSerializer(serializers.Serializer):
    explorer = serializers.URLField(help_text="The explorer page filtered to these results.")
    results = serializers.URLField(help_text="The results endpoint with the same filters.")


class LinkPairSerializer(serializers.Serializer):
    a = ResultLinksSerializer(help_text="The results in period A.")
    b = ResultLinksSerializer(help_text="The results in period B.")


class PeriodBoundsSerializer(serializers.Serializer):
    first = serializers.DateField(help_text="First UTC day, included.")
    last = serializers.DateField(help_text="Last UTC day, included.")
    days = serializers.IntegerField()


class LabelSharesSerializer(serializers.Serializer):
    positive = serializers.FloatField(allow_null=True)
    neutral = serializers.FloatField(allow_null=True)
    negative = serializers.FloatField(allow_null=True)


class PeriodTotalsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Analysed results posted in the period.")
    average = serializers.FloatField(allow_null=True, help_text="Average sentiment, -1 to 1.")
    distribution = LabelCountsSerializer()
    shares = LabelSharesSerializer(help_text="Each sentiment's share of the analysed results, 0 to 1.")
    emotions = serializers.DictField(child=serializers.IntegerField())
    average_rating = serializers.FloatField(allow_null=True, help_text="0 to 100.")
    rating_count = serializers.IntegerField()
    flagged = serializers.IntegerField(help_text="Results whose rating and text disagree.")


class TotalsPairSerializer(serializers.Serializer):
    a = PeriodTotalsSerializer()
    b = PeriodTotalsSerializer()


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text="count, per_day, average, positive_share, neutral_share, negative_share, "
        "average_rating or rating_count."
    )
    name = serializers.CharField(help_text="What the page calls it.")
    kind = serializers.CharField(help_text="count, number, signed, share or rating.")
    a = NumberField(allow_null=True)
    b = NumberField(allow_null=True)
    change = NumberField(allow_null=True, help_text="b - a (null when either is unknown).")
    direction = serializers.CharField(help_text='"up", "down" or "" (no change).')
    tone = serializers.CharField(help_text='"better", "worse", or "" when neither way is good news.')
    links = LinkPairSerializer()


class RatingRowSerializer(serializers.Serializer):
    star = serializers.IntegerField(help_text="A whole rating, 1 to 5.")
    a = serializers.IntegerField()
    b = serializers.IntegerField()
    a_share = serializers.FloatField(allow_null=True)
    b_share = serializers.FloatField(allow_null=True)
    links = LinkPairSerializer()


class TopicChangeSerializer(serializers.Serializer):
    topic = serializers.CharField()
    search = serializers.CharField(help_text="The explorer search that finds its results.")
    a_count = serializers.IntegerField(
        allow_null=True, help_text="Results of A's sample on it (null: not listed)."
    )
    b_count = serializers.IntegerField(
        allow_null=True, help_text="Results of B's sample on it (null: not listed)."
    )
    share_change = serializers.FloatField(
        allow_null=True, help_text="Change of its share of the sample, 0 to 1."
    )
    a_sentiment = serializers.FloatField(allow_null=True)
    b_sentiment = serializers.FloatField(allow_null=True)
    sentiment_change = serializers.FloatField(allow_null=True)
    links = LinkPairSerializer()


class TopicChangesSerializer(serializers.Serializer):
    rose = TopicChangeSerializer(many=True)
    fell = TopicChangeSerializer(many=True)
    appeared = TopicChangeSerializer(many=True, help_text="Listed in B's sample, not in A's.")
    disappeared = TopicChangeSerializer(many=True, help_text="Listed in A's sample, not in B's.")


class SampleSerializer(serializers.Serializer):
    size = serializers.IntegerField(help_text="Results read for the topics: the newest analysed ones.")
    population = serializers.IntegerField(help_text="Analysed results posted in the period.")
    text = serializers.CharField()


class SamplePairSerializer(serializers.Serializer):
    a = SampleSerializer()
    b = SampleSerializer()


class PeriodComparisonSerializer(serializers.Serializer):
    project_id = id_field()
    mode = serializers.CharField(help_text='"dates" or "marker".')
    marker = MarkerSerializer(allow_null=True, help_text="The marker compared around (mode marker).")
    a = PeriodBoundsSerializer()
    b = PeriodBoundsSerializer()
    targets = serializers.ListField(child=serializers.CharField(), help_text="Target ids it is narrowed to.")
    platforms = serializers.ListField(child=serializers.CharField(), help_text="Platforms it is narrowed to.")
    totals = TotalsPairSerializer()
    figures = FigureSerializer(many=True)
    ratings = RatingRowSerializer(many=True)
    topics = TopicChangesSerializer()
    samples = SamplePairSerializer(help_text="The results the topics are read from.")
    links = LinkPairSerializer(help_text="Every analysed result of each period.")
