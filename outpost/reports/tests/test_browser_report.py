"""The indicator report in headless Chromium: pick a quarter, split it, download it.

An M&E officer opens the report, asks for the first quarter of 2026 split
by sex and age band, reads the total on the page, downloads the XLSX and
finds the same figures in it.
"""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from outpost.clients.actions import register_client
from outpost.clients.uic import build_parts
from outpost.contacts.actions import Handout, record_contact
from outpost.core.choices import Sex
from outpost.core.roles import Role
from outpost.core.tests.base import make_org, make_site, make_staff
from outpost.core.tests.browser import sign_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_quarter_split_by_sex_and_age_band_is_shown_and_downloaded(
    live_server: LiveServer, page: Page
) -> None:
    org = make_org("org-a")
    site = make_site(org, "Sumy room")
    worker = make_staff(org, "worker", Role.SOCIAL_WORKER, site)
    officer = make_staff(org, "officer", Role.ME_OFFICER, site)
    people = [
        (mother, sex, datetime.date(born, 6, 1))
        for mother, sex, born in (("Olena", Sex.MALE, 1980), ("Iryna", Sex.FEMALE, 2005))
    ]
    clients = [
        register_client(
            org=org, parts=build_parts(mother, "Ivan", sex, born), groups=[], worker=worker
        )[0]
        for mother, sex, born in people
    ]
    # Three contacts in the quarter and one just after it.
    for client, day in (
        (clients[0], datetime.date(2026, 1, 15)),
        (clients[0], datetime.date(2026, 2, 16)),
        (clients[1], datetime.date(2026, 3, 17)),
        (clients[1], datetime.date(2026, 4, 1)),
    ):
        record_contact(
            site=site,
            worker=worker,
            channel=site.default_channel,
            client=client,
            handout=Handout(),
            occurred_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(12))),
        )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server.url, officer)

    page.goto(f"{live_server.url}/reports/indicators/")
    page.get_by_role("radio", name="Quarter").check()
    page.locator("#id_year").fill("2026")
    page.locator("#id_quarter").select_option("1")
    page.get_by_role("checkbox", name="Sex", exact=True).check()
    page.get_by_role("checkbox", name="Age band", exact=True).check()
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_test_id("total-contacts")).to_have_text("3")
    expect(page.get_by_test_id("total-clients_reached")).to_have_text("2")
    expect(page.locator("canvas[data-drawn]")).to_have_count(1)

    with page.expect_download() as download_info:
        page.get_by_test_id("xlsx").click()
    download = download_info.value
    assert download.suggested_filename == "outpost-indicators-2026-Q1.xlsx"
    # Playwright saves the file without its extension, which openpyxl needs.
    sheet = load_workbook(io.BytesIO(download.path().read_bytes())).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Indicators: Org-A, 2026-Q1"
    assert rows[2][:2] == ["Period", "2026-Q1 (2026-01-01 – 2026-03-31)"]
    assert rows[7][:6] == ["Indicator", "Measure", "Donor codes", "Sex", "Age band", "Value"]
    values = {(row[0], row[3], row[4]): row[5] for row in rows[8:]}
    assert values[("contacts", "All", "All")] == 3
    assert values[("contacts", "Male", "25+")] == 2
    assert values[("clients_reached", "Female", "<25")] == 1
    assert errors == []
