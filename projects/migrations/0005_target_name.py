"""Targets get a name (the platform's) beside their label, and know whether the user renamed
them. A target added before then keeps its label; a label its user gave it counts as a rename
(the name fetched at its next collection must not replace it), an id-based one does not."""

from django.db import migrations, models

from projects.recognition import UnrecognizedURL, recognize


def _id_label(doc: dict) -> str | None:
    hint = doc.get("platform") if doc.get("platform") in ("feed", "web") else None
    try:
        return recognize(doc.get("url") or "", hint=hint).label
    except UnrecognizedURL:
        return None


def mark_renamed(apps, schema_editor):
    targets = schema_editor.connection.database["targets"]
    for doc in targets.find({"name": "", "renamed": False}, {"url": 1, "label": 1, "platform": 1}):
        label = doc.get("label") or ""
        if doc.get("platform") != "file" and label and label != _id_label(doc):
            targets.update_one({"_id": doc["_id"], "renamed": False}, {"$set": {"renamed": True}})


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0004_project_analysis_notice"),
    ]

    operations = [
        migrations.AddField(
            model_name="target",
            name="name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="target",
            name="name_fetched",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="target",
            name="renamed",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_renamed, migrations.RunPython.noop, elidable=False),
    ]
