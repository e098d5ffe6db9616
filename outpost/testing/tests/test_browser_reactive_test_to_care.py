"""From a reactive HIV test to a completed referral, in headless Chromium.

A social worker records the test, refers the client for confirmation,
records the confirmed result when the client reached the service, and sees
the cascade move. Nothing here needs JavaScript; the walk checks that the
pages link up as a worker would follow them.
"""

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from outpost.accounts.tests.factories import code_for, make_device
from outpost.catalogue.models import Item
from outpost.core.roles import Role
from outpost.core.tests.base import make_client, make_org, make_site, make_staff, stock
from outpost.core.tests.browser import PASSWORD
from outpost.testing.models import Referral, Test


def stage(page: Page, code: str) -> str:
    row = page.get_by_test_id("cascade-1").locator(f'tr[data-stage="{code}"] td.num').first
    return row.inner_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_worker_records_a_reactive_test_refers_and_sees_the_cascade_move(
    live_server: LiveServer, page: Page
) -> None:
    org = make_org("org-a")
    site = make_site(org, "Sumy room")
    worker = make_staff(org, "worker", Role.SOCIAL_WORKER, site)
    worker.language = "en"
    worker.save(update_fields=["language"])
    authenticator = make_device(worker)
    kit = Item.objects.get(org=org, name="HIV rapid test")
    stock(site, kit, 10, worker)
    anna = make_client(org, worker)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill("worker")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.locator("#id_code").fill(code_for(authenticator))
    page.locator("#id_code").press("Enter")
    expect(page).to_have_url(re.compile(rf"/{site.pk}/today/$"))

    # The cascade of this month starts empty.
    page.get_by_role("link", name="Cascade").click()
    expect(page.get_by_test_id("cascade-1")).to_be_visible()
    assert [stage(page, code) for code in ("tested", "reactive", "referred")] == ["0", "0", "0"]

    # From the client's visit page to the test form.
    page.goto(f"{live_server.url}/sites/{site.pk}/entry/{anna.pk}/")
    page.get_by_role("link", name="Tests and referrals").click()
    page.get_by_role("link", name="Record a test").click()
    page.get_by_label("HIV rapid test").check()
    page.get_by_label("Pre-test counselling given").check()
    page.get_by_label("Reactive", exact=True).check()
    page.get_by_label("The client received the result").check()
    page.get_by_label("Post-test counselling given").check()
    page.get_by_role("button", name="Save test").click()
    expect(page.get_by_role("status")).to_contain_text("Test saved: HIV, Reactive.")

    # Refer from the reactive result: confirmatory testing is chosen already.
    page.get_by_test_id("tests").get_by_role("link", name="Refer").click()
    expect(page.get_by_text("From the test")).to_be_visible()
    expect(page.get_by_label("Confirmatory testing")).to_be_checked()
    page.get_by_role("button", name="Issue referral").click()
    expect(page.get_by_role("status")).to_contain_text("Referral issued.")

    # The client reached the service; the result came back confirmed.
    page.get_by_test_id("referrals").get_by_role("link", name="Mark completed").click()
    page.get_by_label("The service told us").check()
    page.get_by_label("Result").select_option(label="HIV confirmed positive")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Referral completed.")
    expect(page.get_by_test_id("referrals")).to_contain_text("Completed")

    page.get_by_role("link", name="Cascade").click()
    counts = [stage(page, code) for code in ("tested", "reactive", "referred", "confirmed")]
    assert counts == ["1", "1", "1", "1"]
    expect(page.locator("svg.cascade-chart").first.locator("rect")).to_have_count(6)

    assert errors == []
    test = Test.objects.get()
    assert (test.result, test.lot, test.contact.client_id) == ("reactive", "", anna.pk)
    assert Referral.objects.get().status == "completed"
