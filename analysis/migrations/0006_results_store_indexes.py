"""The results store's indexes: one per sort order, the labelled score order, tags and pinned
(see sentimatrix.dbindexes); the explorer's earlier listing index is a prefix of the first."""

from django.db import migrations

from sentimatrix import dbindexes


def forwards(apps, schema_editor):
    db = schema_editor.connection.database
    dbindexes.ensure(db, dbindexes.specs_for("results"))
    existing = db["results"].index_information()
    for name in dbindexes.SUPERSEDED["results"]:
        if name in existing:
            db["results"].drop_index(name)


class Migration(migrations.Migration):
    dependencies = [("analysis", "0005_analysis_engine_index")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
