"""The room in an emergency, driven end to end in headless Chromium.

A manager switches the Sumy room to restricted mode, sees quick entry offer
the window only, lets one client in, is refused a second, records the
disinfection, lets the next one in and answers an overdose with naloxone. The
board's self-refresh is an htmx poll, which only a real browser runs.
"""

import re

import pytest
from django.db.models import Sum
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from outpost.catalogue.models import Item
from outpost.core.roles import Role
from outpost.core.tests.base import make_client, make_org, make_site, make_staff, stock
from outpost.core.tests.browser import sign_in
from outpost.inventory.actions import store_of
from outpost.inventory.models import StockBalance
from outpost.room.models import OverdoseIncident, RoomSession


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_manager_runs_the_room_in_restricted_mode(live_server: LiveServer, page: Page) -> None:
    org = make_org("org-a")
    site = make_site(org, "Sumy room")
    manager = make_staff(org, "manager", Role.MANAGER, site)
    manager.language = "en"
    manager.save(update_fields=["language"])
    naloxone = Item.objects.get(org=org, category__code="naloxone")
    stock(site, naloxone, 10, manager)
    anna = make_client(org, manager)
    boris = make_client(org, manager, mother="Boris", birth_year=1990)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # A refused check-in answers 422, which the console reports; a CSP
    # violation (an inline script or style) would be reported too.
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "status of 422" not in message.text
            else None
        ),
    )

    sign_in(page, live_server.url, manager)
    expect(page).to_have_url(re.compile(rf"/{site.pk}/today/$"))

    # The manager puts the site into restricted mode, with a reason.
    page.get_by_role("link", name="Mode", exact=True).click()
    page.get_by_label("Restricted").check()
    page.locator("#id_reason").fill("COVID-19 quarantine")
    page.get_by_role("button", name="Change the mode").click()
    expect(page.get_by_role("status")).to_contain_text("Sumy room is now in restricted mode.")
    expect(page.get_by_test_id("current-mode")).to_contain_text("Restricted")

    # Quick entry now offers service through the window only.
    page.get_by_role("link", name="Quick entry").click()
    page.locator("#id_code").fill(anna.code)
    page.locator("#id_code").press("Enter")
    expect(page.locator("#id_channel option")).to_have_count(1)
    expect(page.locator("#id_channel option")).to_have_text("Window")

    # In the room: mask and gloves first, then one client at a time.
    page.get_by_role("link", name="Room", exact=True).click()
    page.get_by_role("button", name="I wear a mask and gloves").click()
    check_in_form = page.get_by_role("form", name="Check in")
    check_in_form.locator("#id_code").fill(anna.code)
    check_in_form.get_by_role("button", name="Check in").click()
    expect(page.get_by_test_id("inside")).to_contain_text(anna.code)

    check_in_form.locator("#id_code").fill(boris.code)
    check_in_form.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("alert")).to_contain_text("The room is full: 1 of 1 places taken.")
    page.get_by_role("button", name=f"Put {boris.code} on the waiting list").click()
    expect(page.get_by_test_id("waiting")).to_contain_text(boris.code)

    # The board refreshes itself (an htmx poll, allowed by the CSP).
    with page.expect_response(lambda response: "opened=" in response.url, timeout=15_000) as poll:
        pass
    assert poll.value.status == 200

    # Anna leaves; Boris must wait for the disinfection.
    page.get_by_test_id("inside").locator("input[name=disposed]").fill("3")
    page.get_by_test_id("inside").get_by_role("button", name="Check out").click()
    page.get_by_test_id("waiting").get_by_role("button", name="Check in").click()
    expect(page.get_by_role("alert")).to_contain_text("Record the disinfection")
    page.get_by_role("button", name="Record disinfection").click()
    page.get_by_test_id("waiting").get_by_role("button", name="Check in").click()
    expect(page.get_by_test_id("inside")).to_contain_text(boris.code)
    expect(page.get_by_test_id("waiting-count")).to_have_text("0")

    # Boris overdoses: one tap from his row, then what was done.
    page.get_by_test_id("inside").get_by_role("button", name="Overdose").click()
    expect(page.locator("#id_code")).to_have_value(boris.code)
    page.get_by_label("Unresponsive").check()
    page.get_by_label("Slow or no breathing").check()
    page.locator("#id_naloxone_doses").fill("2")
    page.get_by_label("Rescue breathing").check()
    page.locator("#id_outcome").select_option("recovered")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Overdose incident report")).to_be_visible()
    expect(page.get_by_test_id("doses")).to_contain_text("2 × Naloxone")
    expect(page.get_by_test_id("outcome")).to_have_text("Recovered on site")

    assert errors == []
    incident = OverdoseIncident.objects.get()
    assert (incident.client_id, incident.naloxone_doses) == (boris.pk, 2)
    on_hand = StockBalance.objects.filter(location=store_of(site), item=naloxone)
    assert on_hand.aggregate(total=Sum("quantity"))["total"] == 8
    assert RoomSession.objects.get(client=anna).disposed == 3
