"""A kit from a phone call to the door, in headless Chromium on a phone-sized screen.

A social worker takes the order, a manager approves it and gives it to the
courier, and the courier, on a phone, sees the address, marks the delivery
done and watches the bag's stock fall.
"""

import re

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from outpost.catalogue.models import Item
from outpost.core.roles import Role
from outpost.core.tests.base import make_org, make_site, make_staff
from outpost.core.tests.browser import sign_in
from outpost.delivery.models import DeliveryOrder
from outpost.delivery.tests.factories import make_bag
from outpost.inventory.actions import receive_stock

PHONE: ViewportSize = {"width": 360, "height": 740}


def bag_count(page: Page, item: Item) -> str:
    row = page.get_by_test_id("bag").locator(f'tr[data-item="{item.pk}"]')
    return row.locator("td").nth(1).inner_text().strip()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_order_is_taken_assigned_and_delivered_from_the_courier_s_bag(
    live_server: LiveServer, page: Page, browser: Browser
) -> None:
    org = make_org("org-a")
    site = make_site(org, "Sumy room")
    worker = make_staff(org, "worker", Role.SOCIAL_WORKER, site)
    manager = make_staff(org, "manager", Role.MANAGER, site)
    courier = make_staff(org, "kostya", Role.COURIER, site)
    condom = Item.objects.get(org=org, name="Condom")
    receive_stock(
        location=make_bag(site, courier),
        item=condom,
        quantity=20,
        worker=manager,
        occurred_on=site.local_today(),
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # The order comes by phone: ten condoms to a meeting point, any time today.
    sign_in(page, live_server.url, worker)
    page.goto(f"{live_server.url}/deliveries/{site.pk}/new/")
    page.get_by_text("Single items").click()
    page.get_by_label(condom.display_name).fill("10")
    page.get_by_role("radio", name="Meeting point").check()
    page.get_by_label("Address or meeting point").fill("Bench by the pharmacy")
    page.get_by_label("How to reach the person").fill("Ask for Sasha")
    page.get_by_label("From").fill("00:00")
    page.get_by_label("Until").fill("23:59")
    page.get_by_role("button", name="Take the order").click()
    expect(page.get_by_role("status")).to_contain_text("it waits for approval")
    order = DeliveryOrder.objects.get()

    # The manager approves it and gives it to Kostya.
    manager_page = browser.new_context(locale="en-GB").new_page()
    sign_in(manager_page, live_server.url, manager)
    manager_page.goto(f"{live_server.url}/deliveries/orders/{order.pk}/")
    manager_page.get_by_role("button", name="Approve").click()
    expect(manager_page.get_by_role("status")).to_contain_text("Order approved.")
    manager_page.get_by_label("Courier").select_option(label="kostya")
    manager_page.get_by_role("button", name="Assign").click()
    expect(manager_page.get_by_role("status")).to_contain_text("Given to kostya.")
    manager_page.context.close()

    # Kostya, on his phone, finds it, sees where to go and hands it over.
    phone = browser.new_context(locale="en-GB", viewport=PHONE, is_mobile=True).new_page()
    phone.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(phone, live_server.url, courier)
    expect(phone).to_have_url(re.compile(r"/deliveries/mine/$"))
    assert bag_count(phone, condom) == "20"
    delivery = phone.get_by_test_id("delivery")
    expect(delivery).not_to_contain_text("Bench by the pharmacy")
    phone.get_by_role("button", name="Show address and contact").click()
    expect(phone.get_by_test_id("place")).to_have_text("Bench by the pharmacy")
    expect(phone.get_by_test_id("reach")).to_have_text("Ask for Sasha")
    phone.get_by_role("button", name="On my way").click()
    expect(phone.get_by_role("status")).to_contain_text("On your way.")
    phone.get_by_role("button", name="Delivered").click()
    expect(phone.get_by_role("status")).to_contain_text("Delivered. Thank you.")
    expect(phone.get_by_text("No deliveries for you today.")).to_be_visible()
    assert bag_count(phone, condom) == "10"
    assert DeliveryOrder.objects.get().status == DeliveryOrder.Status.DELIVERED
    assert errors == []
