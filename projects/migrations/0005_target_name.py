from django.db import migrations, models


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
    ]
