"""Indexes of the hourly arrival counts alert rules read (``hourly_stats``), with their TTL."""

from django.db import migrations

from sentimatrix import dbindexes


def forwards(apps, schema_editor):
    db = schema_editor.connection.database
    dbindexes.ensure(db, dbindexes.specs_for("hourly_stats"))


class Migration(migrations.Migration):
    dependencies = [("analysis", "0009_new_platforms")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
