"""The index of the admin's results list: every project's results by created_at, ties by id
(see sentimatrix.dbindexes)."""

from django.db import migrations

from sentimatrix import dbindexes


def forwards(apps, schema_editor):
    dbindexes.ensure(schema_editor.connection.database, dbindexes.specs_for("results"))


class Migration(migrations.Migration):
    dependencies = [("analysis", "0007_saved_views")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
