"""Load the fixed item categories that indicators count by (SPEC §3.1)."""

from django.db import migrations

CATEGORIES = [
    ("syringe", "Syringe", False),
    ("needle", "Needle", False),
    ("alcohol_wipe", "Alcohol wipe", False),
    ("water", "Water for injection", False),
    ("condom", "Condom", False),
    ("lubricant", "Lubricant", False),
    ("naloxone", "Naloxone", True),
    ("hiv_self_test", "HIV self-test", True),
    ("rapid_test_hiv", "Rapid test: HIV", True),
    ("rapid_test_hbv", "Rapid test: HBV", True),
    ("rapid_test_hcv", "Rapid test: HCV", True),
    ("rapid_test_syphilis", "Rapid test: syphilis", True),
    ("information", "Information material", False),
]


def load(apps, schema_editor):
    ItemCategory = apps.get_model("catalogue", "ItemCategory")
    for code, name, needs_expiry in CATEGORIES:
        ItemCategory.objects.update_or_create(
            code=code, defaults={"name": name, "needs_expiry": needs_expiry}
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
