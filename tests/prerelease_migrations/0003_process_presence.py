"""Presence moves from a heartbeat per tab to one per process.

Tab rows left from before have no process: the next prune forgets them, and each running process
writes its tabs again at its next heartbeat, when it finds its own process row missing.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sessions_live", "0002_dashboard"),
    ]

    operations = [
        migrations.CreateModel(
            name="LiveProcess",
            fields=[
                ("name", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("host", models.CharField(blank=True, max_length=255)),
                ("pid", models.PositiveIntegerField(blank=True, null=True)),
                ("started", models.DateTimeField()),
                ("seen", models.DateTimeField(db_index=True)),
            ],
            options={
                "verbose_name": "server process",
                "verbose_name_plural": "server processes",
            },
        ),
        migrations.RemoveField(model_name="livetab", name="seen"),
        migrations.AddField(
            model_name="livetab",
            name="process",
            field=models.CharField(db_index=True, default="", max_length=64),
            preserve_default=False,
        ),
    ]
