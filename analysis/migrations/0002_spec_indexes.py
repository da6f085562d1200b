"""Indexes of the specification that the models cannot declare (see sentimatrix.dbindexes)."""

from django.db import migrations

from sentimatrix import dbindexes


def forwards(apps, schema_editor):
    db = schema_editor.connection.database
    dbindexes.ensure(db, dbindexes.specs_for("results"))


class Migration(migrations.Migration):
    dependencies = [("analysis", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
