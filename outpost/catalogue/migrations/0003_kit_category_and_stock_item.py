"""Kits assembled ahead are stocked as an item of the fixed category "kit"."""

import django.db.models.deletion
from django.db import migrations, models


def load(apps, schema_editor):
    ItemCategory = apps.get_model("catalogue", "ItemCategory")
    ItemCategory.objects.update_or_create(
        code="kit", defaults={"name": "Assembled kit", "needs_expiry": False}
    )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0002_load_item_categories")]
    operations = [
        migrations.AddField(
            model_name="kit",
            name="stock_item",
            field=models.OneToOneField(
                blank=True,
                help_text=(
                    "Kits assembled ahead are stocked as this item; made at the first assembly."
                ),
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assembled_kit",
                to="catalogue.item",
            ),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
