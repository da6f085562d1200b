"""Saved views: a project's named sets of the explorer's filters (as read and as given)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from rest_framework import serializers

from api.serializers.fields import id_field, time_field


class SavedViewSerializer(serializers.Serializer):
    id = id_field(source="pk")
    project_id = id_field()
    user_id = id_field()
    name = serializers.CharField()
    query = serializers.CharField(
        help_text="The explorer's query string: add it to the results endpoint's URL."
    )
    params = serializers.SerializerMethodField(help_text="The same parameters: name -> list of values.")
    created_at = time_field()
    updated_at = time_field()

    def get_params(self, view) -> dict[str, list[str]]:
        params: dict[str, list[str]] = {}
        for name, value in parse_qsl(view.query):
            params.setdefault(name, []).append(value)
        return params


class SavedViewInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    query = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=4000,
        help_text="The explorer's query string (filters, sort, columns, per_page), validated as the "
        "explorer validates it. Or give params.",
    )
    params = serializers.DictField(
        required=False,
        child=serializers.JSONField(),
        help_text="The parameters as an object: name -> value or list of values.",
    )

    def validate(self, attrs):
        if "query" in attrs and "params" in attrs:
            raise serializers.ValidationError({"params": ["Give query or params, not both."]})
        return attrs


class SavedViewPatchSerializer(SavedViewInputSerializer):
    name = serializers.CharField(max_length=100, required=False)
