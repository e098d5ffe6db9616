"""Naloxone from delivery to a client on the bus, in headless Chromium.

A manager receives a lot with its expiry, loads part of it onto the bus,
a visit on the bus hands out two ampoules, the team counts the bus at the
end of the shift, and the bus's forecast follows each step.
"""

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from outpost.catalogue.models import Item
from outpost.core.roles import Role
from outpost.core.tests.base import make_org, make_site, make_staff
from outpost.core.tests.browser import sign_in
from outpost.inventory.models import Location, StockMovement


def forecast_cell(page: Page, item: Item, column: int) -> str:
    """One cell of the item's forecast row: 1 on hand, 2 per day, 3 days of stock."""
    row = page.get_by_test_id("forecast").locator(f'tr[data-item="{item.pk}"]')
    return row.locator("td").nth(column).inner_text().strip()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_naloxone_is_received_loaded_on_the_bus_handed_out_and_counted(
    live_server: LiveServer, page: Page
) -> None:
    org = make_org("org-a")
    site = make_site(org, "Sumy room")
    manager = make_staff(org, "manager", Role.MANAGER, site)
    bus = Location.objects.create(org=org, site=site, name="Bus 1", kind=Location.Kind.MOBILE_UNIT)
    naloxone = Item.objects.get(org=org, category__code="naloxone")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server.url, manager)

    # A delivery of 20 ampoules, lot NX-1, usable until mid-2030.
    page.goto(f"{live_server.url}/stock/sites/{site.pk}/")
    page.get_by_role("link", name="Receive stock").click()
    page.get_by_label("Item").select_option(label=naloxone.display_name)
    page.get_by_label("Quantity").fill("20")
    page.get_by_label("Lot").fill("NX-1")
    page.get_by_label("Expires on").fill("2030-06-30")
    page.get_by_role("button", name="Receive").click()
    expect(page.get_by_role("status")).to_contain_text("Stock received.")
    expect(page.get_by_test_id("balances")).to_contain_text("NX-1")

    # Eight go onto the bus, loaded by the manager herself.
    page.get_by_role("link", name="Transfer", exact=True).click()
    page.get_by_label(naloxone.display_name).fill("8")
    page.get_by_label("Send to").select_option(label="Bus 1")
    page.get_by_label("Arrived now (I am loading it myself)").check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_be_visible()
    page.goto(f"{live_server.url}/stock/locations/{bus.pk}/")
    assert forecast_cell(page, naloxone, 1) == "8"
    assert forecast_cell(page, naloxone, 3) == "—"  # nothing handed out yet

    # A visit on the bus hands out two ampoules from the bus's stock.
    page.goto(f"{live_server.url}/sites/{site.pk}/entry/anonymous/")
    page.get_by_label("Stock from").select_option(label="Bus 1")
    page.get_by_text("Single items").click()
    page.get_by_label(naloxone.display_name).fill("2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    dispensed = StockMovement.objects.get(kind="dispense")
    assert (dispensed.location_id, dispensed.lot, dispensed.quantity) == (bus.pk, "NX-1", -2)

    # 2 handed out on the one day the bus held stock: 2 a day, 6 left, 3 days.
    page.goto(f"{live_server.url}/stock/locations/{bus.pk}/")
    assert forecast_cell(page, naloxone, 1) == "6"
    assert forecast_cell(page, naloxone, 2) == "2.0"
    assert forecast_cell(page, naloxone, 3) == "3"

    # The end-of-shift count finds 5: one ampoule is gone.
    page.get_by_role("link", name="Count", exact=True).click()
    page.get_by_role("button", name="Start counting").click()
    expect(page).to_have_url(re.compile(r"/stock/counts/\d+/$"))
    for field in page.locator("input[type=number]").all():
        field.fill("0")
    page.get_by_label(naloxone.display_name).fill("5")
    page.get_by_role("button", name="Apply the count").click()
    expect(page.get_by_role("status")).to_be_visible()

    page.goto(f"{live_server.url}/stock/locations/{bus.pk}/")
    assert forecast_cell(page, naloxone, 1) == "5"
    assert forecast_cell(page, naloxone, 3) == "2"
    correction = StockMovement.objects.get(kind="adjustment")
    assert (correction.location_id, correction.quantity, correction.reason) == (
        bus.pk,
        -1,
        "stocktake",
    )
    assert errors == []
