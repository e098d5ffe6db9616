import datetime
import uuid

from django.urls import reverse

from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import Contact
from outpost.core.errors import DomainError
from outpost.core.periods import Period
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_staff
from outpost.outreach.actions import record_web_figures
from outpost.outreach.figures import secondary_distribution
from outpost.outreach.models import WebOutreachFigures


class SecondaryDistributionTests(BaseTestCase):
    def record(self, peers: int, units: int, kits: int = 1) -> Contact:
        return record_contact(
            site=self.site,
            worker=self.worker,
            channel="window",
            client=self.anna,
            handout=Handout(kits=[(self.injecting_kit, kits)], peers=peers, units_for_peers=units),
        )

    def month(self) -> Period:
        today = self.site.local_today()
        return Period(today.replace(day=1), today)

    def test_supplies_taken_for_peers_are_counted_apart(self) -> None:
        self.record(peers=3, units=10, kits=2)
        self.record(peers=0, units=0)
        figures = secondary_distribution(org_id=self.org.pk, period=self.month())
        self.assertEqual(
            (figures.contacts, figures.clients, figures.peers, figures.units), (1, 1, 3, 10)
        )

    def test_more_units_for_peers_than_were_handed_out_is_refused(self) -> None:
        with self.assertRaisesMessage(DomainError, "Units for peers cannot be more than"):
            self.record(peers=1, units=10_000)
        with self.assertRaisesMessage(DomainError, "Say for how many peers the units are."):
            self.record(peers=0, units=1)
        self.assertFalse(Contact.objects.exists())

    def test_quick_entry_records_peers(self) -> None:
        self.client.force_login(self.worker)
        self.client.post(
            reverse("contacts:visit", args=[self.site.pk, self.anna.pk]),
            {
                "kits": [self.injecting_kit.pk],
                "peers": 2,
                "units_for_peers": 5,
                "channel": "window",
                "syringes_returned": 0,
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        self.assertEqual(Contact.objects.values_list("peers", "units_for_peers").get(), (2, 5))


class ChannelsViewTests(BaseTestCase):
    def test_a_month_s_contacts_by_channel_stand_beside_the_web_figures(self) -> None:
        record_contact(
            site=self.site, worker=self.worker, channel="window", client=None, handout=Handout()
        )
        month = self.site.local_today().replace(day=1)
        record_web_figures(
            org_id=self.org.pk,
            worker=self.manager,
            month=month,
            name="Telegram channel",
            kind="channel",
            audience=1200,
            consultations=45,
        )
        self.client.force_login(make_staff(self.org, "me", Role.ME_OFFICER, self.site))
        response = self.client.get(reverse("outreach:channels") + f"?month={month:%Y-%m}")
        self.assertEqual(dict(response.context["channels"])["Window"], 1)
        self.assertContains(response, "Telegram channel")
        self.assertContains(response, "1200")
        self.assertNotContains(response, "Enter web outreach figures")

    def test_a_moderator_enters_figures_and_entering_again_replaces_them(self) -> None:
        moderator = make_staff(self.org, "moderator", Role.OUTREACH_WORKER, self.site)
        self.client.force_login(moderator)
        month = self.site.local_today().replace(day=1)
        for audience in (300, 320):
            self.client.post(
                reverse("outreach:web_figures"),
                {
                    "month": f"{month:%Y-%m}",
                    "name": "Opioid users' chat",
                    "kind": "chat",
                    "audience": audience,
                    "consultations": 12,
                },
            )
        self.assertEqual(WebOutreachFigures.objects.get().audience, 320)

    def test_figures_for_a_month_not_begun_are_refused(self) -> None:
        self.client.force_login(self.manager)
        later = self.site.local_today() + datetime.timedelta(days=40)
        response = self.client.post(
            reverse("outreach:web_figures"),
            {
                "month": f"{later:%Y-%m}",
                "name": "Channel",
                "kind": "channel",
                "audience": 1,
                "consultations": 1,
            },
        )
        self.assertContains(response, "a month that has begun", status_code=422)
        self.assertFalse(WebOutreachFigures.objects.exists())

    def test_outsiders_see_only_their_own_figures_and_couriers_nothing(self) -> None:
        record_web_figures(
            org_id=self.org.pk,
            worker=self.manager,
            month=self.site.local_today().replace(day=1),
            name="Secret chat of org A",
            kind="chat",
            audience=10,
            consultations=1,
        )
        self.client.force_login(self.outsider)
        self.assertNotContains(self.client.get(reverse("outreach:channels")), "org A")
        self.assertEqual(self.client.post(reverse("outreach:web_figures")).status_code, 403)
        self.client.force_login(make_staff(self.org, "courier", Role.COURIER, self.site))
        self.assertEqual(self.client.get(reverse("outreach:channels")).status_code, 403)
