"""The one error document every failing request answers with."""

from __future__ import annotations

from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField(
        help_text="Invalid input: messages per field (dotted path). Rate limits: retry_after seconds."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
