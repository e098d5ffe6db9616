import datetime
import io

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase, override_settings
from django.urls import reverse

from outpost.clients.models import Client
from outpost.contacts.models import ContactDay
from outpost.core.choices import Channel
from outpost.core.models import AuditEvent
from outpost.core.periods import Period
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_client, make_org, make_site, make_staff
from outpost.orgs.models import Organisation, Site, User
from outpost.reports.models import Network
from outpost.reports.network import Count, network_figures, protect_table, shown

MARCH = Period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
FEBRUARY = Period(datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
# Mothers' names with distinct first letters, so each gives its own code.
MOTHERS = (
    "Anna Bella Daria Elena Galina Inna Katia Lara Maria Nina Polina Raisa Sofia Tamara "
    "Uliana Vera Zoya Yana Fedora Halyna Jana Khrystia Ljuba Marta Nadia Oksana Pavla"
).split()


def people(
    orgs: list[tuple[Organisation, User]], count: int, *, start: int, born: int
) -> list[list[Client]]:
    """``count`` people, each registered by every organisation under one code."""
    names = MOTHERS[start : start + count]
    assert len(names) == count
    return [[make_client(org, worker, name, born) for org, worker in orgs] for name in names]


def seen(site: Site, client: Client, day: datetime.date, contacts: int = 1) -> None:
    ContactDay.objects.create(
        org_id=site.org_id,
        site=site,
        channel=Channel.WINDOW,
        client=client,
        date=day,
        month=day.replace(day=1),
        contacts=contacts,
    )


def anonymous(site: Site, day: datetime.date, contacts: int) -> None:
    ContactDay.objects.create(
        org_id=site.org_id,
        site=site,
        channel=Channel.WINDOW,
        client=None,
        date=day,
        month=day.replace(day=1),
        contacts=contacts,
    )


class SmallNumbersTests(SimpleTestCase):
    def test_counts_from_1_to_9_show_as_under_10(self) -> None:
        self.assertEqual([shown(Count(n)) for n in (0, 1, 9, 10)], [0, "<10", "<10", 10])

    def test_a_figure_whose_part_outside_the_viewer_is_small_is_hidden(self) -> None:
        self.assertIsNone(shown(Count(30, known=25)))
        self.assertEqual(shown(Count(30, known=30)), 30)
        self.assertEqual(shown(Count(30, known=20)), 30)

    def test_a_table_hides_more_cells_until_the_hidden_ones_add_to_10_or_more(self) -> None:
        cells = {"a": Count(4), "b": Count(30), "c": Count(12), "d": Count(0)}
        self.assertEqual(
            protect_table(cells, total_shown=True), {"a": "<10", "b": 30, "c": None, "d": 0}
        )

    def test_a_table_without_its_total_needs_no_more_hiding(self) -> None:
        cells = {"a": Count(4), "b": Count(30), "c": Count(12)}
        self.assertEqual(protect_table(cells, total_shown=False), {"a": "<10", "b": 30, "c": 12})

    def test_what_the_viewer_knows_counts_when_cells_add_back(self) -> None:
        # The viewer knows 25 of b's 30, so b is hidden; with a, the parts
        # the viewer does not know add to 9, so c is hidden as well.
        cells = {"a": Count(4), "b": Count(30, known=25), "c": Count(40)}
        self.assertEqual(
            protect_table(cells, total_shown=True), {"a": "<10", "b": None, "c": None}
        )


@override_settings(LANGUAGE_CODE="en")
class NetworkTestCase(BaseTestCase):
    """Organisations A and B in the network East; C outside it.

    In March: 12 people registered by both under the same code and seen by
    both, 15 seen only by A (10 under 25), 11 only by B. In February: the
    12 shared people at both again, and 4 of A's young people at A only.
    """

    network: Network
    third_org: Organisation
    me_a: User
    me_b: User
    manager_c: User
    shared: list[list[Client]]
    only_a: list[Client]
    only_b: list[Client]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.third_org = make_org("org-c")
        third_site = make_site(cls.third_org, "Third room")
        cls.me_a = make_staff(cls.org, "me-a", Role.ME_OFFICER, cls.site)
        cls.me_b = make_staff(cls.other_org, "me-b", Role.ME_OFFICER, cls.other_site)
        cls.manager_c = make_staff(cls.third_org, "manager-c", Role.MANAGER, third_site)
        cls.network = Network.objects.create(name="East", slug="east")
        cls.network.members.add(cls.org, cls.other_org)
        both = [(cls.org, cls.worker), (cls.other_org, cls.outsider)]
        cls.shared = people(both, 12, start=0, born=1980)
        cls.only_a = [pair[0] for pair in people(both[:1], 10, start=12, born=2004)]
        cls.only_a += [pair[0] for pair in people(both[:1], 5, start=22, born=1990)]
        cls.only_b = [pair[0] for pair in people(both[1:], 11, start=12, born=1975)]
        march = datetime.date(2026, 3, 2)
        february = datetime.date(2026, 2, 10)
        for in_a, in_b in cls.shared:
            seen(cls.site, in_a, march)
            seen(cls.other_site, in_b, march + datetime.timedelta(days=1), contacts=2)
            seen(cls.site, in_a, february)
            seen(cls.other_site, in_b, february)
        for client in cls.only_a:
            seen(cls.site, client, march)
        for client in cls.only_b:
            seen(cls.other_site, client, march)
        for client in cls.only_a[:4]:
            seen(cls.site, client, february)
        anonymous(cls.site, march, 6)
        # C is not in the network: its contacts never count.
        outsider_client = make_client(cls.third_org, cls.manager_c, "Anna", 1980)
        seen(third_site, outsider_client, march)

    def setUp(self) -> None:
        self.client.force_login(self.me_a)

    def page(self, period: Period) -> str:
        query = {"first": period.first.isoformat(), "last": period.last.isoformat()}
        response = self.client.get(reverse("reports:network", args=["east"]), query)
        self.assertEqual(response.status_code, 200)
        return response.content.decode()


class NetworkFiguresTests(NetworkTestCase):
    def test_a_person_registered_by_both_members_counts_once(self) -> None:
        figures = network_figures(self.network, MARCH, self.org.pk)
        self.assertEqual(figures.reached, 12 + 15 + 11)
        self.assertEqual(figures.seen_by_several, 12)
        reached = {row.name: row.reached for row in figures.members}
        self.assertEqual(reached, {"Org-A": 27, "Org-B": 23})
        self.assertFalse(figures.reach_by_member_hidden)

    def test_counts_contacts_per_member_anonymous_ones_included(self) -> None:
        figures = network_figures(self.network, MARCH, self.org.pk)
        contacts = {row.name: row.contacts for row in figures.members}
        self.assertEqual(contacts, {"Org-A": 12 + 15 + 6, "Org-B": 24 + 11})
        self.assertEqual(figures.contacts, 33 + 35)
        self.assertEqual(figures.months, [(datetime.date(2026, 3, 1), 68)])

    def test_splits_people_by_sex_and_age_on_their_first_contact(self) -> None:
        figures = network_figures(self.network, MARCH, self.org.pk)
        male = next(row for row in figures.by_sex_and_age if row.sex == "1")
        # Ten born in 2004 are 21 in March 2026; everyone else is over 25.
        self.assertEqual(male.cells, [10, 12 + 5 + 11])
        self.assertTrue(all(row.cells == [0, 0] for row in figures.by_sex_and_age if row != male))

    def test_small_pieces_hide_reach_per_member_and_the_figures_that_give_them(self) -> None:
        # February: 12 at both, 4 at A only. Reach per member would give the
        # 4 back; "seen by more than one" (12) would too, from the total (16).
        figures = network_figures(self.network, FEBRUARY, self.org.pk)
        self.assertEqual(figures.reached, 16)
        self.assertIsNone(figures.seen_by_several)
        self.assertTrue(figures.reach_by_member_hidden)
        self.assertEqual([row.reached for row in figures.members], [None, None])
        male = next(row for row in figures.by_sex_and_age if row.sex == "1")
        # Four under 25 show as <10; the 12 beside them would give the 4
        # back from the total, so they are hidden too.
        self.assertEqual(male.cells, ["<10", None])

    def test_the_total_is_hidden_when_it_would_give_the_viewer_a_small_count(self) -> None:
        # B knows its own 12 February clients; the total of 16 would tell it
        # that 4 people came to A alone.
        figures = network_figures(self.network, FEBRUARY, self.other_org.pk)
        self.assertIsNone(figures.reached)

    def test_runs_three_queries_whatever_the_data(self) -> None:
        with self.assertNumQueries(3):
            network_figures(self.network, MARCH, self.org.pk)
        with self.assertNumQueries(3):
            network_figures(self.network, Period(FEBRUARY.first, MARCH.last), self.org.pk)


class NetworkPageTests(NetworkTestCase):
    def test_shows_the_members_and_the_deduplicated_reach(self) -> None:
        html = self.page(MARCH)
        self.assertIn("Org-A", html)
        self.assertIn("Org-B", html)
        self.assertNotIn("Org-C", html)
        self.assertIn("<strong>38</strong>", html)
        self.assertIn("<strong>12</strong>", html)

    def test_small_numbers_show_as_under_10(self) -> None:
        html = self.page(FEBRUARY)
        self.assertIn("&lt;10", html)
        self.assertIn("Reach by member is hidden for this period", html)

    def test_never_shows_a_code_a_network_key_or_another_members_site(self) -> None:
        html = self.page(MARCH) + self.page(FEBRUARY)
        clients = Client.objects.filter(org__in=[self.org, self.other_org, self.third_org])
        for code, key, pk in clients.values_list("code", "network_key", "pk"):
            self.assertNotIn(code, html)
            self.assertNotIn(key, html)
            self.assertNotIn(f"/clients/{pk}/", html)
        self.assertNotIn(self.other_site.name, html)

    def test_runs_a_fixed_number_of_queries(self) -> None:
        url = reverse("reports:network", args=["east"])
        self.client.get(url)  # Warm the session.
        query = {"first": MARCH.first.isoformat(), "last": MARCH.last.isoformat()}
        with self.assertNumQueries(10):
            self.client.get(url, query)
        query["first"] = FEBRUARY.first.isoformat()
        with self.assertNumQueries(10):
            self.client.get(url, query)

    def test_a_bad_period_answers_400_without_figures(self) -> None:
        url = reverse("reports:network", args=["east"])
        response = self.client.get(url, {"first": "2026-03-31", "last": "2026-03-01"})
        self.assertContains(response, "The period ends before it starts.", status_code=400)
        self.assertNotContains(response, "network-totals", status_code=400)

    def test_a_non_member_gets_404_and_does_not_see_the_network_listed(self) -> None:
        self.client.force_login(self.manager_c)
        self.assertEqual(
            self.client.get(reverse("reports:network", args=["east"])).status_code, 404
        )
        self.assertNotContains(self.client.get(reverse("reports:networks")), "East")

    def test_an_unknown_network_answers_404(self) -> None:
        self.assertEqual(
            self.client.get(reverse("reports:network", args=["west"])).status_code, 404
        )

    def test_a_social_worker_is_refused(self) -> None:
        self.client.force_login(self.worker)
        self.assertEqual(self.client.get(reverse("reports:networks")).status_code, 403)
        self.assertEqual(
            self.client.get(reverse("reports:network", args=["east"])).status_code, 403
        )

    def test_lists_only_the_networks_of_the_users_organisation(self) -> None:
        west = Network.objects.create(name="West", slug="west")
        west.members.add(self.other_org, self.third_org)
        response = self.client.get(reverse("reports:networks"))
        self.assertContains(response, "East")
        self.assertContains(response, "Org-B")
        self.assertNotContains(response, "West")
        self.client.force_login(self.me_b)
        self.assertContains(self.client.get(reverse("reports:networks")), "West")


class NetworksCommandTests(BaseTestCase):
    def run_command(self, *args: str) -> str:
        out = io.StringIO()
        call_command("networks", *args, stdout=out)
        return out.getvalue()

    def test_creates_a_network_with_members(self) -> None:
        output = self.run_command("east", "--name", "East", "--add", "org-a", "org-b")
        network = Network.objects.get(slug="east")
        self.assertEqual(network.name, "East")
        self.assertEqual(
            sorted(network.members.values_list("slug", flat=True)), ["org-a", "org-b"]
        )
        self.assertIn("Created east (East).", output)
        joined = AuditEvent.objects.filter(verb="network.joined", target_id=network.pk)
        self.assertEqual(
            sorted(joined.values_list("org_id", flat=True)), [self.org.pk, self.other_org.pk]
        )

    def test_running_it_again_changes_nothing(self) -> None:
        self.run_command("east", "--name", "East", "--add", "org-a", "org-b")
        events = AuditEvent.objects.count()
        output = self.run_command("east", "--add", "org-a", "org-b")
        self.assertEqual(AuditEvent.objects.count(), events)
        self.assertNotIn("Added", output)
        self.assertEqual(Network.objects.count(), 1)

    def test_removes_a_member(self) -> None:
        self.run_command("east", "--name", "East", "--add", "org-a", "org-b")
        output = self.run_command("east", "--remove", "org-b")
        self.assertIn("Removed org-b.", output)
        network = Network.objects.get(slug="east")
        self.assertEqual(list(network.members.values_list("slug", flat=True)), ["org-a"])
        self.assertTrue(
            AuditEvent.objects.filter(verb="network.left", org_id=self.other_org.pk).exists()
        )

    def test_an_unknown_organisation_changes_nothing(self) -> None:
        with self.assertRaisesMessage(CommandError, "No organisation 'nowhere'"):
            self.run_command("east", "--name", "East", "--add", "org-a", "nowhere")
        self.assertFalse(Network.objects.exists())

    def test_a_new_network_needs_a_name(self) -> None:
        with self.assertRaisesMessage(CommandError, "give --name to create it"):
            self.run_command("east", "--add", "org-a")

    def test_a_dry_run_saves_nothing(self) -> None:
        output = self.run_command("east", "--name", "East", "--add", "org-a", "--dry-run")
        self.assertIn("Dry run", output)
        self.assertFalse(Network.objects.exists())

    def test_lists_the_networks(self) -> None:
        self.assertIn("No networks.", self.run_command())
        self.run_command("east", "--name", "East", "--add", "org-b", "org-a")
        self.assertIn("east (East): org-a, org-b", self.run_command())
