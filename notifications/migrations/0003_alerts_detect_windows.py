"""The TTL index of the keyword rules' window tallies (``alert_windows``)."""

from django.db import migrations

from sentimatrix import dbindexes


def forwards(apps, schema_editor):
    db = schema_editor.connection.database
    dbindexes.ensure(db, dbindexes.specs_for("alert_windows"))


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_alerts")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
