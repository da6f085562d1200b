"""One collected result with its content and its analysis (sentiment, emotions, summary, insights)."""

from __future__ import annotations

from rest_framework import serializers

from analysis.models import AnalysisEngine, SentimentLabel
from api.serializers.fields import id_field, nullable_id_field, nullable_time_field, time_field
from projects.platforms import Platform


class ContentSerializer(serializers.Serializer):
    text = serializers.CharField()
    title = serializers.CharField()
    author = serializers.CharField()
    rating = serializers.FloatField(allow_null=True)
    date = nullable_time_field()
    url = serializers.CharField()
    platform_id = serializers.CharField()
    parent_id = serializers.CharField(allow_null=True)
    metadata = serializers.DictField()


class SentimentScoresSerializer(serializers.Serializer):
    very_positive = serializers.FloatField(allow_null=True)
    positive = serializers.FloatField(allow_null=True)
    neutral = serializers.FloatField(allow_null=True)
    negative = serializers.FloatField(allow_null=True)
    very_negative = serializers.FloatField(allow_null=True)


class SentimentSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=SentimentLabel.choices)
    score = serializers.FloatField()
    confidence = serializers.FloatField()
    scores = SentimentScoresSerializer(allow_null=True)
    analyzed_at = nullable_time_field()


class DetectedEmotionSerializer(serializers.Serializer):
    emotion = serializers.CharField()
    score = serializers.FloatField()


class EmotionsSerializer(serializers.Serializer):
    model = serializers.CharField()
    primary = serializers.CharField()
    primary_score = serializers.FloatField()
    detected = DetectedEmotionSerializer(many=True)
    analyzed_at = nullable_time_field()


class SummarySerializer(serializers.Serializer):
    text = serializers.CharField()
    key_points = serializers.ListField(child=serializers.CharField())
    generated_at = nullable_time_field()


class TopicSerializer(serializers.Serializer):
    topic = serializers.CharField()
    sentiment = serializers.FloatField()


class ResultInsightsSerializer(serializers.Serializer):
    pros = serializers.ListField(child=serializers.CharField())
    cons = serializers.ListField(child=serializers.CharField())
    topics = TopicSerializer(many=True)
    extracted_at = nullable_time_field()


class AnalysisSerializer(serializers.Serializer):
    sentiment = SentimentSerializer(allow_null=True)
    emotions = EmotionsSerializer(allow_null=True)
    summary = SummarySerializer(allow_null=True)
    insights = ResultInsightsSerializer(allow_null=True)
    engine = serializers.ChoiceField(choices=AnalysisEngine.choices, allow_blank=True)


class FlagsSerializer(serializers.Serializer):
    rating_disagreement = serializers.BooleanField()


class ResultSerializer(serializers.Serializer):
    id = id_field(source="pk")
    project_id = id_field()
    target_id = id_field()
    user_id = id_field()
    scrape_job_id = nullable_id_field()
    content = ContentSerializer()
    analysis = AnalysisSerializer()
    platform = serializers.ChoiceField(choices=Platform.choices)
    language = serializers.CharField()
    word_count = serializers.IntegerField()
    flags = FlagsSerializer()
    excluded = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField())
    pinned = serializers.BooleanField()
    created_at = time_field()
    updated_at = time_field()
