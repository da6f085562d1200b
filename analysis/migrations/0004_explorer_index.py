"""The explorer's default listing index (see sentimatrix.dbindexes)."""

from django.db import migrations

from sentimatrix import dbindexes


def forwards(apps, schema_editor):
    dbindexes.ensure(schema_editor.connection.database, dbindexes.specs_for("results"))


class Migration(migrations.Migration):
    dependencies = [("analysis", "0003_product_indexes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
