"""Fill the new day summaries from the contacts already recorded.

A frozen copy of the statement in ``outpost.contacts.summaries`` as it was
when the tables were made, so that later changes there cannot alter this
migration. Contacts recorded since 0003 are already summed, so the tables
are emptied first and everything is summed again.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

CATEGORIES = (
    "syringe",
    "needle",
    "alcohol_wipe",
    "water",
    "condom",
    "lubricant",
    "naloxone",
    "hiv_self_test",
    "rapid_test_hiv",
    "rapid_test_hbv",
    "rapid_test_hcv",
    "rapid_test_syphilis",
    "information",
)


def build(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        month = "CAST(date_trunc('month', c.date) AS date)"
    else:
        month = "date(c.date, 'start of month')"
    columns = ", ".join(f"units_{code}" for code in CATEGORIES)
    per_contact = ", ".join(
        f"SUM(CASE WHEN cat.code = '{code}' THEN ci.quantity ELSE 0 END) AS units_{code}"
        for code in CATEGORIES
    )
    totals = ", ".join(f"SUM(COALESCE(i.units_{code}, 0))" for code in CATEGORIES)
    empty(apps, schema_editor)
    schema_editor.execute(
        f"""
        INSERT INTO contacts_contactday (org_id, site_id, channel, client_id, date, month,
                                         contacts, syringes_returned, {columns})
        SELECT c.org_id, c.site_id, c.channel, c.client_id, c.date, {month},
               COUNT(*), SUM(c.syringes_returned), {totals}
        FROM contacts_contact c
        LEFT JOIN (
            SELECT ci.contact_id, {per_contact}
            FROM contacts_contactitem ci
            JOIN catalogue_item it ON it.id = ci.item_id
            JOIN catalogue_itemcategory cat ON cat.id = it.category_id
            GROUP BY ci.contact_id
        ) i ON i.contact_id = c.id
        GROUP BY c.org_id, c.site_id, c.channel, c.client_id, c.date
        """  # noqa: S608 — fixed names only
    )
    schema_editor.execute(
        f"""
        INSERT INTO contacts_serviceday (org_id, site_id, channel, client_id, date,
                                         service_type_id, month, contacts)
        SELECT c.org_id, c.site_id, c.channel, c.client_id, c.date, s.service_type_id,
               {month}, COUNT(*)
        FROM contacts_contactservice s
        JOIN contacts_contact c ON c.id = s.contact_id
        GROUP BY c.org_id, c.site_id, c.channel, c.client_id, c.date, s.service_type_id
        """  # noqa: S608 — fixed names only
    )


def empty(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema_editor.execute("DELETE FROM contacts_serviceday")
    schema_editor.execute("DELETE FROM contacts_contactday")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0003_contact_summaries")]

    operations = [migrations.RunPython(build, empty)]
