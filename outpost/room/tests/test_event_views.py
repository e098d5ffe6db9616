"""Recording a group or training, and reading who attended."""

from django.urls import reverse

from outpost.core.tests.base import BaseTestCase
from outpost.room.actions import record_event
from outpost.room.models import Event


class EventViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.client.force_login(self.worker)

    def url(self, name: str, *args: int) -> str:
        return reverse(f"room:{name}", args=[self.site.pk, *args])

    def data(self, **fields: str) -> dict[str, str]:
        return {
            "kind": "training",
            "date": self.site.local_today().isoformat(),
            "topic": "Overdose prevention with new psychoactive substances",
            "facilitator": "Peer trainer",
            "codes": "",
            "anonymous_count": "0",
            **fields,
        }

    def test_an_event_is_recorded_with_codes_and_a_count(self) -> None:
        response = self.client.post(
            self.url("event_new"),
            self.data(codes=f"{self.anna.code.lower()}\n", anonymous_count="5"),
        )
        event = Event.objects.get()
        self.assertRedirects(response, self.url("event", event.pk))
        page = self.client.get(self.url("event", event.pk))
        self.assertContains(page, self.anna.code)
        self.assertContains(page, "5 attendees without a code")

    def test_unknown_codes_are_named_and_nothing_is_saved(self) -> None:
        response = self.client.post(
            self.url("event_new"), self.data(codes=f"{self.anna.code}\nZZZZ101011990")
        )
        self.assertContains(response, "No client has these codes: ZZZZ101011990", status_code=422)
        self.assertFalse(Event.objects.exists())

    def test_an_event_nobody_attended_is_refused(self) -> None:
        response = self.client.post(self.url("event_new"), self.data())
        self.assertContains(response, "Record who attended", status_code=422)

    def test_the_list_shows_the_attendance(self) -> None:
        record_event(
            site=self.site,
            worker=self.worker,
            kind="self_help",
            date=self.site.local_today(),
            topic="Peer support",
            facilitator="Peer",
            clients=[self.anna],
            anonymous_count=2,
        )
        response = self.client.get(self.url("events"))
        self.assertContains(response, "Peer support")
        self.assertContains(response, '<td class="num">3</td>', html=True)

    def test_an_outsider_gets_404(self) -> None:
        event = record_event(
            site=self.site,
            worker=self.worker,
            kind="training",
            date=self.site.local_today(),
            topic="Naloxone",
            facilitator="Nurse",
            anonymous_count=2,
        )
        self.client.force_login(self.outsider)
        for url in (self.url("events"), self.url("event_new"), self.url("event", event.pk)):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)
