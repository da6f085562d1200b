"""Indexes of the specification that the models cannot declare (see sentimatrix.dbindexes)."""

from django.db import migrations

from sentimatrix import dbindexes


def forwards(apps, schema_editor):
    db = schema_editor.connection.database
    dbindexes.ensure(db, dbindexes.specs_for("users", "api_keys", "audit_logs"))
    # The users collection is also validated by the server ($jsonSchema).
    dbindexes.ensure_validators(db, ("users",))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_apikey_auditlog")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
