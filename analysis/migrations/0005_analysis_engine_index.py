"""The index of the sweep that queues unanalysed results (see sentimatrix.dbindexes)."""

from django.db import migrations

from sentimatrix import dbindexes


def forwards(apps, schema_editor):
    dbindexes.ensure(schema_editor.connection.database, dbindexes.specs_for("results"))


class Migration(migrations.Migration):
    dependencies = [("analysis", "0004_explorer_index")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
