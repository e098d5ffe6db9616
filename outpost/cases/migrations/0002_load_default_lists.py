"""Give every existing organisation the default goals and consultation topics.

The names repeat ``outpost.cases.defaults`` on purpose: a migration must not
import the app, whose lists may change later.
"""

from django.db import migrations

GOAL_TYPES = [
    "Documents restored",
    "Entering HIV care",
    "Staying on ART",
    "Entering opioid substitution therapy",
    "Housing",
    "Benefits",
    "Reconnecting with family",
]
TOPICS = [
    "Documents",
    "HIV care and ART",
    "Opioid substitution therapy",
    "Hepatitis and other health care",
    "Housing",
    "Benefits and social services",
    "Family",
    "Legal help",
    "Safer use and overdose",
    "Emotional support",
]


def load(apps, schema_editor):
    Organisation = apps.get_model("orgs", "Organisation")
    GoalType = apps.get_model("cases", "GoalType")
    Topic = apps.get_model("cases", "Topic")
    for org in Organisation.objects.all():
        for name in GOAL_TYPES:
            GoalType.objects.get_or_create(org=org, name=name)
        for name in TOPICS:
            Topic.objects.get_or_create(org=org, name=name)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
