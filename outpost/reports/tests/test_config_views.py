import datetime
import zoneinfo
from collections.abc import Mapping, Sequence

from django.test import override_settings
from django.urls import reverse

from outpost.catalogue.models import Item, ServiceType
from outpost.clients.models import Client
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import ContactDay
from outpost.core.choices import Channel
from outpost.core.models import AuditEvent
from outpost.core.periods import Period
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_client, make_staff
from outpost.orgs.models import Site, User
from outpost.reports.indicators import compute_report, scope_of
from outpost.reports.models import IndicatorCode, Package, PackageComponent, PopulationEstimate

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
MARCH = Period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))

# A component row of the package form: categories, minimum, service type id.
ComponentRow = tuple[Sequence[str], int | str, int | str]


def package_post(
    name: str, rows: Sequence[ComponentRow], *, removed: Sequence[int] = ()
) -> dict[str, object]:
    """The POST body of the package form, as the browser sends it."""
    data: dict[str, object] = {
        "name": name,
        "components-TOTAL_FORMS": str(len(rows)),
        "components-INITIAL_FORMS": "0",
        "components-MIN_NUM_FORMS": "0",
        "components-MAX_NUM_FORMS": "20",
    }
    for index, (categories, minimum, service) in enumerate(rows):
        prefix = f"components-{index}-"
        data[prefix + "categories"] = list(categories)
        data[prefix + "minimum"] = str(minimum)
        data[prefix + "service_type"] = str(service)
        if index in removed:
            data[prefix + "DELETE"] = "on"
    return data


def saved_components(org_id: int) -> list[tuple[tuple[str, ...], int, int | None]]:
    rows = PackageComponent.objects.filter(package__org_id=org_id).prefetch_related("categories")
    return sorted(
        (
            tuple(sorted(c.code for c in row.categories.all())),
            row.minimum,
            row.service_type_id,
        )
        for row in rows
    )


@override_settings(LANGUAGE_CODE="en")
class ConfigViewTestCase(BaseTestCase):
    me_officer: User
    other_manager: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.me_officer = make_staff(cls.org, "me", Role.ME_OFFICER, cls.site)
        cls.other_manager = make_staff(cls.other_org, "manager-b", Role.MANAGER, cls.other_site)

    def setUp(self) -> None:
        self.client.force_login(self.manager)

    def verbs(self) -> list[str]:
        return list(AuditEvent.objects.order_by("seq").values_list("verb", flat=True))


class AccessTests(ConfigViewTestCase):
    PAGES = ("reports:settings", "reports:package", "reports:codes", "reports:population")

    def test_a_manager_opens_every_settings_page(self) -> None:
        for name in self.PAGES:
            with self.subTest(name):
                self.assertEqual(self.client.get(reverse(name)).status_code, 200)

    def test_an_me_officer_and_a_social_worker_are_refused(self) -> None:
        for user in (self.me_officer, self.worker, self.outsider):
            self.client.force_login(user)
            for name in self.PAGES:
                with self.subTest(user=user.username, page=name):
                    self.assertEqual(self.client.get(reverse(name)).status_code, 403)
                    if name != "reports:settings":
                        self.assertEqual(self.client.post(reverse(name)).status_code, 403)

    def test_the_settings_page_shows_the_organisations_own_configuration(self) -> None:
        IndicatorCode.objects.create(org=self.org, indicator="clients_reached", code="KP-1a")
        IndicatorCode.objects.create(org=self.other_org, indicator="hiv_tested", code="THEIRS-9")
        PopulationEstimate.objects.create(org=self.org, area="Sumy", people=4200)
        PopulationEstimate.objects.create(org=self.other_org, area="Elsewhere", people=99)
        response = self.client.get(reverse("reports:settings"))
        self.assertContains(response, "Minimum package for people who inject drugs")
        self.assertContains(response, "Outpost’s default")
        self.assertContains(response, "KP-1a")
        self.assertContains(response, "Sumy: 4200 people who inject drugs")
        self.assertNotContains(response, "THEIRS-9")
        self.assertNotContains(response, "Elsewhere")

    def test_the_settings_page_runs_a_fixed_number_of_queries(self) -> None:
        self.client.post(
            reverse("reports:package"),
            package_post("Ours", [(["syringe"], 2, ""), ([], "", self.counselling.pk)]),
        )
        estimate = PopulationEstimate.objects.create(org=self.org, area="Sumy", people=4200)
        estimate.sites.add(self.site)
        IndicatorCode.objects.create(org=self.org, indicator="contacts", code="C-1")
        url = reverse("reports:settings")
        self.client.get(url)  # Warm the session and the content types.
        with self.assertNumQueries(12):
            self.client.get(url)
        for n in range(5):
            more = PopulationEstimate.objects.create(org=self.org, area=f"Area {n}", people=10)
            more.sites.add(self.site)
            IndicatorCode.objects.create(org=self.org, indicator="condoms", code=f"X-{n}")
        rows: list[ComponentRow] = [(["syringe"], 2, ""), (["condom"], 3, ""), (["needle"], 1, "")]
        rows.append(([], "", self.counselling.pk))
        self.client.post(reverse("reports:package"), package_post("Ours", rows))
        with self.assertNumQueries(12):
            self.client.get(url)


class PackageTests(ConfigViewTestCase):
    def test_shows_the_default_package_as_the_default(self) -> None:
        response = self.client.get(reverse("reports:package"))
        self.assertContains(response, "In force: Outpost’s default package")
        self.assertContains(response, "Needle + Syringe: at least 1 unit")
        self.assertContains(response, "Condom: at least 1 unit")
        self.assertContains(response, "Service: Counselling")
        self.assertNotContains(response, "Restore the default package")

    def test_saving_replaces_the_components_in_one_go_and_is_audited(self) -> None:
        url = reverse("reports:package")
        first = package_post("First", [(["syringe", "needle"], 5, ""), (["condom"], 1, "")])
        self.assertRedirects(self.client.post(url, first), url)
        second = package_post(
            "Outreach package",
            [(["syringe"], 10, ""), (["naloxone"], 1, ""), ([], "", self.counselling.pk)],
        )
        self.assertRedirects(self.client.post(url, second), url)
        package = Package.objects.get(org=self.org)
        self.assertEqual(package.name, "Outreach package")
        self.assertEqual(
            saved_components(self.org.pk),
            [
                ((), 1, self.counselling.pk),
                (("naloxone",), 1, None),
                (("syringe",), 10, None),
            ],
        )
        self.assertEqual(self.verbs()[-2:], ["package.changed", "package.changed"])
        page = self.client.get(url)
        self.assertContains(page, "In force: your organisation’s package")
        self.assertContains(page, "Syringe: at least 10 units")

    def test_saving_the_page_unchanged_makes_the_default_the_organisations_own(self) -> None:
        data = package_post(
            "Minimum package for people who inject drugs",
            [
                (["needle", "syringe"], 1, ""),
                (["condom"], 1, ""),
                ([], "", self.counselling.pk),
                ([], "", ""),
                ([], "", ""),
            ],
        )
        data["components-INITIAL_FORMS"] = "3"
        self.client.post(reverse("reports:package"), data)
        self.assertEqual(
            saved_components(self.org.pk),
            [
                ((), 1, self.counselling.pk),
                (("condom",), 1, None),
                (("needle", "syringe"), 1, None),
            ],
        )

    def test_blank_and_removed_rows_are_left_out(self) -> None:
        rows: list[ComponentRow] = [(["syringe"], 1, ""), ([], "", ""), (["condom"], 3, "")]
        self.client.post(reverse("reports:package"), package_post("P", rows, removed=[2]))
        self.assertEqual(saved_components(self.org.pk), [(("syringe",), 1, None)])

    def test_refuses_bad_packages_with_422_and_saves_nothing(self) -> None:
        foreign = ServiceType.objects.get(org=self.other_org, code="counselling")
        cases: Mapping[str, tuple[str, list[ComponentRow]]] = {
            "no component": ("P", [([], "", "")]),
            "only removed": ("P", []),
            "minimum zero": ("P", [(["syringe"], 0, "")]),
            "minimum too big": ("P", [(["syringe"], 1001, "")]),
            "a kit": ("P", [(["kit"], 1, "")]),
            "an unknown category": ("P", [(["heroin"], 1, "")]),
            "another organisation's service": ("P", [([], "", foreign.pk)]),
            "an unknown service": ("P", [([], "", 999999)]),
            "both at once": ("P", [(["syringe"], 1, self.counselling.pk)]),
            "a minimum without categories": ("P", [(["syringe"], 1, ""), ([], 5, "")]),
            "the same categories twice": ("P", [(["syringe", "needle"], 1, "")] * 2),
            "the same service twice": ("P", [([], "", self.counselling.pk)] * 2),
            "no name": ("", [(["syringe"], 1, "")]),
        }
        url = reverse("reports:package")
        for label, (name, rows) in cases.items():
            with self.subTest(label):
                response = self.client.post(url, package_post(name, rows))
                self.assertEqual(response.status_code, 422)
                self.assertFalse(Package.objects.exists())
                self.assertFalse(PackageComponent.objects.exists())
        self.assertNotIn("package.changed", self.verbs())

    def test_a_refused_change_keeps_the_saved_package_whole(self) -> None:
        url = reverse("reports:package")
        self.client.post(url, package_post("Kept", [(["condom"], 2, "")]))
        bad = package_post("Changed", [(["syringe"], 1, ""), (["needle"], 0, "")])
        self.assertEqual(self.client.post(url, bad).status_code, 422)
        self.assertEqual(Package.objects.get(org=self.org).name, "Kept")
        self.assertEqual(saved_components(self.org.pk), [(("condom",), 2, None)])

    def test_the_messages_say_what_is_wrong(self) -> None:
        url = reverse("reports:package")
        response = self.client.post(url, package_post("P", [(["syringe"], 1, "")] * 2))
        self.assertContains(
            response, "The same component is in the package twice.", status_code=422
        )
        response = self.client.post(url, package_post("P", [([], "", "")]))
        self.assertContains(response, "A package needs at least one component.", status_code=422)

    def test_restoring_the_default_drops_the_saved_package(self) -> None:
        url = reverse("reports:package")
        self.client.post(url, package_post("Mine", [(["condom"], 2, "")]))
        self.assertRedirects(self.client.post(url, {"restore": "1"}), url)
        self.assertFalse(Package.objects.filter(org=self.org).exists())
        self.assertFalse(PackageComponent.objects.exists())
        self.assertEqual(self.verbs()[-1], "package.restored")
        self.assertContains(self.client.get(url), "In force: Outpost’s default package")

    def test_another_organisations_manager_changes_only_their_own_package(self) -> None:
        self.client.post(reverse("reports:package"), package_post("Ours", [(["condom"], 2, "")]))
        self.client.force_login(self.other_manager)
        response = self.client.post(reverse("reports:package"), {"restore": "1"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Package.objects.get().org_id, self.org.pk)
        ours = package_post("Theirs", [([], "", self.counselling.pk)])
        self.assertEqual(self.client.post(reverse("reports:package"), ours).status_code, 422)
        self.assertEqual(Package.objects.get().name, "Ours")

    def test_the_saved_package_is_what_package_reached_counts(self) -> None:
        olga = make_client(self.org, self.worker, mother="Olga", birth_year=1990)
        self.visit(self.anna, items=[(self.syringe, 2), (self.condom, 1)])
        self.visit(olga, items=[(self.syringe, 5)], services=[self.counselling])
        # The default asks for counselling as well: no one has all three.
        self.assertEqual(self.package_reached(), 0)
        self.client.post(
            reverse("reports:package"),
            package_post("Syringes", [(["syringe", "needle"], 2, "")]),
        )
        self.assertEqual(self.package_reached(), 2)
        self.client.post(
            reverse("reports:package"),
            package_post(
                "Syringes and talk", [(["syringe"], 2, ""), ([], "", self.counselling.pk)]
            ),
        )
        self.assertEqual(self.package_reached(), 1)

    def visit(
        self,
        client: Client,
        *,
        items: Sequence[tuple[Item, int]] = (),
        services: Sequence[ServiceType] = (),
    ) -> None:
        record_contact(
            site=self.site,
            worker=self.worker,
            channel=Channel.WINDOW,
            client=client,
            handout=Handout(items=items, services=services),
            occurred_at=datetime.datetime(2026, 3, 2, 12, tzinfo=KYIV),
        )

    def package_reached(self) -> object:
        report = compute_report(scope_of([self.org.pk]), MARCH)
        figure = next(f for f in report.figures if f.measure.id == "package_reached")
        return figure.total


class IndicatorCodeTests(ConfigViewTestCase):
    def test_adds_a_code_shown_with_the_indicators_name_and_definition(self) -> None:
        url = reverse("reports:codes")
        data = {"indicator": "hiv_tested", "code": " GF-HTS-3a ", "label": "PWID tested"}
        self.assertRedirects(self.client.post(url, data), url)
        row = IndicatorCode.objects.get(org=self.org)
        self.assertEqual(
            (row.indicator, row.code, row.label), ("hiv_tested", "GF-HTS-3a", "PWID tested")
        )
        self.assertEqual(self.verbs()[-1], "indicator_code.added")
        page = self.client.get(url)
        self.assertContains(page, "GF-HTS-3a")
        self.assertContains(page, "Tested for HIV and know the result")
        self.assertContains(page, "whose reactive or non-reactive result was given to them")
        self.assertContains(page, "current handbook")

    def test_refuses_bad_codes_with_422_and_saves_nothing(self) -> None:
        IndicatorCode.objects.create(org=self.org, indicator="contacts", code="C-1")
        cases = {
            "unknown indicator": {"indicator": "happiness", "code": "H-1"},
            "a measure, not an indicator": {"indicator": "continuity.kept", "code": "K-1"},
            "empty code": {"indicator": "contacts", "code": "  "},
            "code too long": {"indicator": "contacts", "code": "x" * 41},
            "the same code again": {"indicator": "contacts", "code": "C-1"},
        }
        for label, data in cases.items():
            with self.subTest(label):
                response = self.client.post(reverse("reports:codes"), data)
                self.assertEqual(response.status_code, 422)
                self.assertEqual(IndicatorCode.objects.count(), 1)

    def test_the_same_code_on_another_indicator_or_organisation_is_fine(self) -> None:
        IndicatorCode.objects.create(org=self.other_org, indicator="contacts", code="C-1")
        IndicatorCode.objects.create(org=self.org, indicator="condoms", code="C-1")
        data = {"indicator": "contacts", "code": "C-1"}
        self.assertEqual(self.client.post(reverse("reports:codes"), data).status_code, 302)

    def test_removes_a_code(self) -> None:
        row = IndicatorCode.objects.create(org=self.org, indicator="contacts", code="C-1")
        response = self.client.post(reverse("reports:codes"), {"remove": str(row.pk)})
        self.assertRedirects(response, reverse("reports:codes"))
        self.assertFalse(IndicatorCode.objects.exists())
        event = AuditEvent.objects.order_by("seq").last()
        assert event is not None
        self.assertEqual((event.verb, event.target_id), ("indicator_code.removed", row.pk))

    def test_another_organisations_code_answers_404(self) -> None:
        row = IndicatorCode.objects.create(org=self.org, indicator="contacts", code="C-1")
        self.client.force_login(self.other_manager)
        response = self.client.post(reverse("reports:codes"), {"remove": str(row.pk)})
        self.assertEqual(response.status_code, 404)
        self.assertNotContains(self.client.get(reverse("reports:codes")), "C-1")
        self.assertTrue(IndicatorCode.objects.filter(pk=row.pk).exists())

    def test_a_malformed_id_answers_404(self) -> None:
        response = self.client.post(reverse("reports:codes"), {"remove": "1; drop"})
        self.assertEqual(response.status_code, 404)


class PopulationTests(ConfigViewTestCase):
    second_site: Site

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.second_site = Site.objects.create(
            org=cls.org, name="Second room", default_channel=Channel.WINDOW
        )

    def post(self, **data: object) -> None:
        self.client.post(reverse("reports:population"), data)

    def test_adds_an_estimate_and_shows_syringes_per_person(self) -> None:
        day = self.site.local_today()
        ContactDay.objects.create(
            org=self.org,
            site=self.site,
            channel=Channel.WINDOW,
            client=self.anna,
            date=day,
            month=day.replace(day=1),
            contacts=1,
            units_syringe=630,
        )
        data = {
            "area": "Sumy",
            "people": "420",
            "source": "Estimate 2024",
            "sites": [self.site.pk],
        }
        response = self.client.post(reverse("reports:population"), data)
        self.assertRedirects(response, reverse("reports:population"))
        estimate = PopulationEstimate.objects.get(org=self.org)
        self.assertEqual((estimate.area, estimate.people), ("Sumy", 420))
        self.assertEqual(list(estimate.sites.all()), [self.site])
        self.assertEqual(self.verbs()[-1], "population.saved")
        page = self.client.get(reverse("reports:population"))
        self.assertContains(page, "<strong>1.5</strong>", html=True)
        self.assertContains(page, "630 syringes over 420 people")

    def test_without_an_estimate_there_is_no_figure(self) -> None:
        page = self.client.get(reverse("reports:population"))
        self.assertContains(page, "Enter an estimate to see this figure.")

    def test_edits_an_estimate(self) -> None:
        estimate = PopulationEstimate.objects.create(org=self.org, area="Sumy", people=100)
        estimate.sites.add(self.site)
        page = self.client.get(reverse("reports:population"), {"edit": estimate.pk})
        self.assertContains(page, "Change the estimate for Sumy")
        self.assertContains(page, 'value="100"')
        self.post(
            estimate=estimate.pk, area="Sumy city", people="250", sites=[self.second_site.pk]
        )
        estimate.refresh_from_db()
        self.assertEqual((estimate.area, estimate.people), ("Sumy city", 250))
        self.assertEqual(list(estimate.sites.all()), [self.second_site])
        self.assertEqual(PopulationEstimate.objects.count(), 1)

    def test_removes_an_estimate(self) -> None:
        estimate = PopulationEstimate.objects.create(org=self.org, area="Sumy", people=100)
        self.post(remove=estimate.pk)
        self.assertFalse(PopulationEstimate.objects.exists())
        self.assertEqual(self.verbs()[-1], "population.removed")

    def test_refuses_bad_estimates_with_422_and_saves_nothing(self) -> None:
        PopulationEstimate.objects.create(org=self.org, area="Sumy", people=100)
        cases: Mapping[str, dict[str, object]] = {
            "no people": {"area": "North", "people": "0"},
            "negative": {"area": "North", "people": "-5"},
            "not a number": {"area": "North", "people": "many"},
            "no area": {"area": "", "people": "10"},
            "an area already estimated": {"area": "sumy", "people": "10"},
            "another organisation's site": {
                "area": "North",
                "people": "10",
                "sites": [self.other_site.pk],
            },
        }
        for label, data in cases.items():
            with self.subTest(label):
                response = self.client.post(reverse("reports:population"), data)
                self.assertEqual(response.status_code, 422)
                self.assertEqual(PopulationEstimate.objects.count(), 1)

    def test_another_organisations_estimate_answers_404(self) -> None:
        estimate = PopulationEstimate.objects.create(org=self.org, area="Sumy", people=100)
        self.client.force_login(self.other_manager)
        url = reverse("reports:population")
        self.assertEqual(self.client.get(url, {"edit": estimate.pk}).status_code, 404)
        self.assertEqual(self.client.post(url, {"remove": estimate.pk}).status_code, 404)
        edit = {"estimate": estimate.pk, "area": "Taken", "people": "1"}
        self.assertEqual(self.client.post(url, edit).status_code, 404)
        self.assertNotContains(self.client.get(url), "Sumy")
        estimate.refresh_from_db()
        self.assertEqual((estimate.area, estimate.people), ("Sumy", 100))
