"""The reports dashboard on a phone, in headless Chromium.

A manager opens the dashboard 390 px wide: every chart is drawn by
Chart.js, the strict CSP raises no complaint, the page never scrolls
sideways, and "Refresh now" brings the page back with its figures.
"""

import datetime

import pytest
from django.db import transaction
from playwright.sync_api import ConsoleMessage, Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from outpost.core.choices import Channel
from outpost.core.roles import Role
from outpost.core.tests.base import make_org, make_site, make_staff
from outpost.core.tests.browser import sign_in
from outpost.inventory.actions import dispense_stock, store_of
from outpost.orgs.models import Organisation, Site, User
from outpost.reports.tests.factories import item, make_person, rapid_test, stock_everything, visit
from outpost.testing.models import Result

PHONE: ViewportSize = {"width": 390, "height": 844}
# Three channel charts, four item charts, the return rate and the cascade.
CHARTS = 9
ALL_DRAWN = """() => Array.from(document.querySelectorAll("canvas[data-chart]"))
    .every((canvas) => window.Chart.getChart(canvas) !== undefined)"""
SCROLLS_SIDEWAYS = "() => document.documentElement.scrollWidth > window.innerWidth"


def a_year_of_visits(org: Organisation, site: Site, manager: User) -> None:
    """Visits through two channels over a year, a test last month, naloxone running out."""
    today = site.local_today()
    stock_everything(site, manager)
    syringe, condom = item(org, "Syringe 2 ml"), item(org, "Condom")
    people = [
        make_person(org, manager, name, sex="2", born=datetime.date(1990, 1, 1))
        for name in ("Olena", "Iryna", "Maria")
    ]
    month = today.replace(day=1)
    for back in range(12):
        for index, person in enumerate(people[: 1 + back % 3]):
            channel = Channel.WINDOW if index else Channel.OUTREACH
            visit(site, manager, person, month, channel, items=[(syringe, 5), (condom, 3)])
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    rapid_test(site, manager, people[0], last_month, result=Result.NON_REACTIVE)
    naloxone = item(org, "Naloxone 0.4 mg/ml ampoule")
    # Dispensing locks its stock rows: it runs inside its caller's transaction.
    with transaction.atomic():
        dispense_stock(
            location=store_of(site), lines=[(naloxone, 490)], worker=manager, occurred_on=today
        )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_reads_every_chart_on_a_phone_without_errors(
    live_server: LiveServer, page: Page
) -> None:
    org = make_org("org-a")
    site = make_site(org, "Sumy room")
    manager = make_staff(org, "manager", Role.MANAGER, site)
    a_year_of_visits(org, site, manager)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, manager)

    page.goto(f"{live_server.url}/reports/")
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    expect(page.locator("canvas[data-chart]")).to_have_count(CHARTS)
    page.wait_for_function(ALL_DRAWN)
    expect(page.get_by_test_id("stock")).to_contain_text("Naloxone")
    expect(page.get_by_test_id("as-of")).to_contain_text("Figures as of")
    assert page.evaluate(SCROLLS_SIDEWAYS) is False

    page.get_by_role("button", name="Refresh now").click()
    expect(page).to_have_url(f"{live_server.url}/reports/")
    expect(page.locator("canvas[data-chart]")).to_have_count(CHARTS)
    assert errors == [], errors
