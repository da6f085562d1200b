"""A project's insights: pros, cons and topics with their quotes, trends and the LLM's abstract."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.fields import nullable_time_field
from api.serializers.stats import LabelCountsSerializer


class QuoteSerializer(serializers.Serializer):
    result_id = serializers.CharField()
    span = serializers.CharField()
    sentiment = serializers.FloatField(
        required=False, allow_null=True, help_text="The score of the sentence quoted, -1 to 1."
    )


class AspectSentimentSerializer(serializers.Serializer):
    mean = serializers.FloatField(allow_null=True, help_text="Mean over the results that judge it.")
    positive = serializers.IntegerField(help_text="Results whose sentences on it praise it.")
    neutral = serializers.IntegerField()
    negative = serializers.IntegerField(help_text="Results whose sentences on it criticise it.")
    unscored = serializers.IntegerField(help_text="Results in a language the sentence scorer does not judge.")


class TrendHalfSerializer(serializers.Serializer):
    results = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    mean_sentiment = serializers.FloatField(allow_null=True)
    judged = serializers.IntegerField()


class AspectTrendSerializer(serializers.Serializer):
    recent = TrendHalfSerializer(help_text="The newer half of the sample.")
    older = TrendHalfSerializer(help_text="The older half of the sample.")
    mentions = serializers.CharField(allow_null=True, help_text="rising, falling or steady.")
    sentiment = serializers.CharField(allow_null=True, help_text="improving, worsening or steady.")


class AspectFieldsSerializer(serializers.Serializer):
    """What every aspect entry carries (absent from summaries cached before aspects)."""

    key = serializers.CharField(required=False, help_text="Grouping key (lemma or stem); not for display.")
    forms = serializers.ListField(child=serializers.CharField(), required=False)
    mentions = serializers.IntegerField(required=False, help_text="Sentences that mention it.")
    sentiment = AspectSentimentSerializer(required=False)
    verdict = serializers.CharField(required=False, allow_null=True, help_text="pro, con, mixed, or null.")
    trend = AspectTrendSerializer(required=False)
    search = serializers.CharField(required=False, help_text="The explorer search that lists its results.")


class PointSerializer(AspectFieldsSerializer):
    text = serializers.CharField(help_text="The aspect.")
    count = serializers.IntegerField()
    result_ids = serializers.ListField(child=serializers.CharField())
    quotes = QuoteSerializer(many=True)


class TopicEntrySerializer(AspectFieldsSerializer):
    topic = serializers.CharField(help_text="The aspect.")
    count = serializers.IntegerField()
    mean_sentiment = serializers.FloatField(allow_null=True)
    result_ids = serializers.ListField(child=serializers.CharField())
    quotes = QuoteSerializer(many=True)


class SampleHalfSerializer(serializers.Serializer):
    results = serializers.IntegerField()
    to = serializers.DateTimeField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a Python keyword: declared here under its JSON name.
        fields["from"] = serializers.DateTimeField(allow_null=True)
        return fields


class InsightSampleSerializer(serializers.Serializer):
    results = serializers.IntegerField(help_text="Results read: the latest analysed ones.")
    recent = SampleHalfSerializer()
    older = SampleHalfSerializer()
    without_aspects = serializers.IntegerField(help_text="Results in a language aspects are not read in.")


class InsightRulesSerializer(serializers.Serializer):
    min_judged_results = serializers.IntegerField()
    clear_majority = serializers.FloatField()


class InsightSentimentSerializer(serializers.Serializer):
    average = serializers.FloatField(allow_null=True)
    distribution = LabelCountsSerializer()


class InsightRatingSerializer(serializers.Serializer):
    average = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()
    disagreements = serializers.ListField(child=serializers.CharField())


class AbstractClaimSerializer(serializers.Serializer):
    text = serializers.CharField()
    result_ids = serializers.ListField(child=serializers.CharField(), help_text="The results it cites.")
    quotes = QuoteSerializer(many=True)


class AbstractTopicSerializer(AbstractClaimSerializer):
    sentiment = serializers.FloatField(allow_null=True, help_text="-1 to 1, as the model judged it.")


class InsightAbstractSerializer(serializers.Serializer):
    overview = serializers.CharField()
    pros = AbstractClaimSerializer(many=True)
    cons = AbstractClaimSerializer(many=True)
    topics = AbstractTopicSerializer(many=True)
    model = serializers.CharField()
    tokens = serializers.IntegerField(help_text="Tokens the request used, charged to the project's budget.")
    cost_usd = serializers.FloatField()
    generated_at = nullable_time_field()


class InsightSummarySerializer(serializers.Serializer):
    total_results = serializers.IntegerField()
    pros = PointSerializer(many=True, help_text="Aspects most results praise (see rules).")
    cons = PointSerializer(many=True, help_text="Aspects most results criticise (see rules).")
    topics = TopicEntrySerializer(many=True, help_text="Aspects, the most discussed first.")
    sample = InsightSampleSerializer(required=False)
    rules = InsightRulesSerializer(
        required=False,
        help_text="A pro: at least min_judged_results results judge it and clear_majority of them praise it.",
    )
    sentiment = InsightSentimentSerializer()
    rating = InsightRatingSerializer()
    generated_at = nullable_time_field()
    # Only for projects analysed by an LLM, hence absent (not null) otherwise.
    abstract = InsightAbstractSerializer(
        required=False, help_text="The project's LLM's summary of the pros, cons and topics."
    )
    abstract_error = serializers.CharField(required=False, help_text="Why there is no AI summary this time.")
    abstract_pending = serializers.BooleanField(
        required=False, help_text="True while the first AI summary is being written."
    )


class InsightsSerializer(serializers.Serializer):
    project_id = serializers.CharField()
    target_id = serializers.CharField(allow_null=True)
    sample_size = serializers.IntegerField(help_text="How many of the newest analysed results were read.")
    sample_limit = serializers.IntegerField()
    computed_at = nullable_time_field()
    stale = serializers.BooleanField(help_text="True while newer analyses wait for the next refresh.")
    summary = InsightSummarySerializer()
