"""A window visit driven end to end in headless Chromium.

The registration form's live code preview is an htmx request, which only a
real browser runs; the rest of the flow rides along so that one walk through
sign-in, registration, the visit form and the day's figures covers what a
social worker does at the window.
"""

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from outpost.accounts.tests.factories import code_for, make_device
from outpost.catalogue.models import Item, Kit, KitComponent
from outpost.clients.models import Client
from outpost.contacts.models import Contact
from outpost.core.roles import Role
from outpost.core.tests.base import make_org, make_site, make_staff, stock
from outpost.core.tests.browser import PASSWORD

CYRILLIC_CODE = "ОЛВА105031985"
CODE = "OLVA105031985"


def on_hand(page: Page, item: Item) -> int:
    cell = page.locator(f'tr[data-item="{item.pk}"] [data-testid="on-hand"]')
    return int(cell.inner_text().split()[0])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_worker_registers_a_client_at_the_window_and_records_a_visit(
    live_server: LiveServer, page: Page
) -> None:
    org = make_org("org-a")
    site = make_site(org, "Sumy room")
    worker = make_staff(org, "worker", Role.SOCIAL_WORKER, site)
    worker.language = "en"
    worker.save(update_fields=["language"])
    authenticator = make_device(worker)
    for item in Item.objects.filter(org=org):
        stock(site, item, 100, worker)
    syringe = Item.objects.get(org=org, name="Syringe 2 ml")
    kit = Kit.objects.get(org=org, name="Injecting kit")
    syringes_per_kit = KitComponent.objects.get(kit=kit, item=syringe).quantity
    assert syringes_per_kit == 5
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # Sign in with the password and a code from the authenticator app: home
    # sends a worker with a site to that site's day.
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill("worker")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page).to_have_url(re.compile(r"/account/two-factor/"))
    page.locator("#id_code").fill(code_for(authenticator))
    page.locator("#id_code").press("Enter")
    expect(page).to_have_url(re.compile(rf"/{site.pk}/today/$"))
    syringes_before = on_hand(page, syringe)
    assert syringes_before == 100

    # An unknown code typed in Cyrillic is folded to its Latin form.
    page.get_by_role("link", name="Quick entry").click()
    page.locator("#id_code").fill(CYRILLIC_CODE)
    page.locator("#id_code").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text(f"No client has the code {CODE} yet")

    # The registration form previews the code as it is typed (htmx POST),
    # field by field: the names come first, before sex and birth date.
    page.get_by_role("link", name="New client").click()
    preview = page.get_by_test_id("code-preview")
    page.locator("#id_mother_name").fill("Олена")
    expect(
        preview, "the preview follows the mother's name before the form is complete"
    ).to_have_text(re.compile(r"^OL"))
    page.locator("#id_father_name").fill("Василь")
    expect(preview).to_have_text(re.compile(r"^OLVA"))
    page.locator("input[name=sex][value='1']").check()
    expect(preview).to_have_text(re.compile(r"^OLVA1"))
    page.locator("#id_birth_date").fill("1985-03-05")
    expect(preview).to_have_text(CODE)
    page.get_by_role("button", name="Register", exact=True).click()

    # The visit page shows the new client's card.
    expect(page).to_have_url(re.compile(rf"/{site.pk}/entry/\d+/$"))
    visit_url = page.url
    card = page.get_by_role("region", name="Client")
    expect(card.locator("h1")).to_have_text(CODE)
    expect(card).to_contain_text("No visits yet.")
    expect(page.get_by_role("status")).to_contain_text(f"Client {CODE} registered.")

    page.get_by_label("Injecting kit").check()
    page.get_by_label("Counselling").check()
    page.locator("#id_syringes_returned").fill("3")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved: {CODE}.")

    # The day's figures and the store count the visit.
    page.get_by_role("link", name="Today", exact=True).click()
    expect(page.get_by_test_id("contacts-today").locator("strong")).to_have_text("1")
    expect(page.get_by_test_id("clients-today").locator("strong")).to_have_text("1")
    returned = page.locator(".figure", has_text="used syringes returned").locator("strong")
    expect(returned).to_have_text("3")
    assert on_hand(page, syringe) == syringes_before - syringes_per_kit

    # The same code typed again opens the same client, now with the visit.
    page.get_by_role("link", name="Quick entry").click()
    page.locator("#id_code").fill(CYRILLIC_CODE)
    page.locator("#id_code").press("Enter")
    expect(page).to_have_url(visit_url)
    visits = page.get_by_role("region", name="Client").get_by_role("listitem")
    expect(visits).to_have_count(1)
    expect(visits).to_contain_text(f"{syringes_per_kit} × Syringe 2 ml")
    expect(visits).to_contain_text("Counselling")

    assert errors == []
    client = Client.objects.get()
    contact = Contact.objects.get()
    assert client.code == CODE
    assert contact.client_id == client.pk
    assert contact.syringes_returned == 3
