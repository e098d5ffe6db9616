"""A case manager's day in headless Chromium: open a case, record a phone
consultation with a follow-up, find it on the caseload, and mark it done."""

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from outpost.cases.actions import install_case_lists
from outpost.cases.models import Case, FollowUp
from outpost.core.roles import Role
from outpost.core.tests.base import make_client, make_org, make_site, make_staff
from outpost.core.tests.browser import sign_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_phone_consultation_with_a_follow_up_reaches_the_caseload_and_is_done(
    live_server: LiveServer, page: Page
) -> None:
    org = make_org("org-a")
    install_case_lists(org=org)
    site = make_site(org, "St. Petersburg office")
    case_manager = make_staff(org, "case-manager", Role.CASE_MANAGER, site)
    client = make_client(org, case_manager)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server.url, case_manager)
    expect(page).to_have_url(re.compile(r"/cases/$"))
    expect(page.get_by_test_id("cases")).to_contain_text("No open cases.")

    # From the client card, open a case: documents first.
    page.goto(f"{live_server.url}/sites/{site.pk}/entry/{client.pk}/")
    page.get_by_role("link", name="Case management").click()
    page.get_by_label("Documents restored").check()
    page.get_by_role("button", name="Open the case").click()
    expect(page.get_by_role("status")).to_contain_text(f"Case opened for {client.code}")

    # A phone call about the documents, with a call back due today.
    page.get_by_role("link", name="Record a consultation").click()
    page.get_by_label("Phone").check()
    page.get_by_label("Topic").select_option(label="Documents")
    page.get_by_label("Duration in minutes").fill("15")
    page.get_by_label("Short note").fill("Wants help with the passport office")
    page.get_by_label("Follow-up 1", exact=True).fill("Call back with the office hours")
    today = site.local_today().isoformat()
    page.get_by_label("Due on, follow-up 1").fill(today)
    page.get_by_role("button", name="Save the consultation").click()
    expect(page.get_by_role("status")).to_contain_text("Consultation saved.")
    expect(page.get_by_test_id("consultations")).to_contain_text("Wants help with the passport")

    # It is on the caseload, due today; marking it done takes it off.
    page.get_by_role("link", name="My caseload").click()
    follow_ups = page.get_by_test_id("follow-ups")
    expect(follow_ups).to_contain_text("Call back with the office hours")
    follow_ups.get_by_role("button", name="Done").click()
    expect(page.get_by_role("status")).to_contain_text("Follow-up done.")
    expect(page.get_by_test_id("follow-ups")).to_contain_text("Nothing due.")

    case = Case.objects.get()
    assert (case.manager_id, case.client_id) == (case_manager.pk, client.pk)
    follow_up = FollowUp.objects.get()
    assert (follow_up.done_by_id, follow_up.consultation.contact.channel) == (
        case_manager.pk,
        "phone",
    )
    assert errors == []
