"""Indexes of the product's own collections: daily aggregates, request counters, LLM cache."""

from django.db import migrations

from sentimatrix import dbindexes


def forwards(apps, schema_editor):
    db = schema_editor.connection.database
    dbindexes.ensure(db, dbindexes.specs_for("daily_stats", "request_counters", "llm_cache"))


class Migration(migrations.Migration):
    dependencies = [("analysis", "0002_spec_indexes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
