from django.db import transaction

from outpost.catalogue import defaults
from outpost.catalogue.models import Item, ItemCategory, Kit, KitComponent, ServiceType
from outpost.orgs.models import Organisation


@transaction.atomic
def install_default_catalogue(*, org: Organisation) -> None:
    """Give a new organisation the default items, kits and services.

    Safe to run again: what the organisation already has is left as it is.
    """
    categories = {
        code: ItemCategory.objects.get_or_create(
            code=code, defaults={"name": name, "needs_expiry": needs_expiry}
        )[0]
        for code, name, needs_expiry in defaults.CATEGORIES
    }
    for category_code, name in defaults.ITEMS:
        Item.objects.get_or_create(
            org=org, name=name, defaults={"category": categories[category_code]}
        )
    items = {i.name: i for i in Item.objects.filter(org=org)}
    for kit_name, components in defaults.KITS.items():
        kit, created = Kit.objects.get_or_create(org=org, name=kit_name)
        if created:
            KitComponent.objects.bulk_create(
                KitComponent(kit=kit, item=items[item_name], quantity=quantity)
                for item_name, quantity in components
            )
    for code, name in defaults.SERVICE_TYPES:
        ServiceType.objects.get_or_create(org=org, code=code, defaults={"name": name})
