"""``manage.py indicators``: the report as JSON or CSV, and its refusals.

February 2026 at organisation A (worked out by hand, SPEC §3.1):

    02-03 Sumy room, window    anna (female, 1990) 10 syringes, 12 condoms,
                                counselling
    02-10 Sumy room, outreach  boris (male, 2001) 2 syringes
    02-10 Konotop bus, window  anonymous, 3 condoms

contacts 3, clients reached 2 (anna, boris), new 2, package reached 1
(anna), syringes 12, condoms 15.
"""

import csv
import datetime
import io
import json

from django.core.management import call_command
from django.core.management.base import CommandError

from outpost.core.choices import Channel, Sex
from outpost.core.roles import Role
from outpost.core.tests.base import WorkerTestCase, make_site, make_staff
from outpost.orgs.models import Site
from outpost.reports.models import IndicatorCode
from outpost.reports.output import SMALL
from outpost.reports.tests.factories import (
    item,
    make_person,
    service,
    stock_everything,
    visit,
)

FEBRUARY = ["--from", "2026-02-01", "--to", "2026-02-28"]


def by_sex(entry: dict[str, object]) -> dict[object, object]:
    """An indicator's JSON cells as sex → value."""
    cells = entry["cells"]
    assert isinstance(cells, list)
    return {cell["sex"]: cell["value"] for cell in cells}


class IndicatorsCommandTests(WorkerTestCase):
    bus: Site

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        manager = make_staff(cls.org, "manager", Role.MANAGER, cls.site)
        cls.bus = make_site(cls.org, "Konotop bus", kind=Site.Kind.MOBILE_UNIT)
        stock_everything(cls.site, manager)
        stock_everything(cls.bus, manager)
        anna = make_person(
            cls.org, cls.worker, "Anna", sex=Sex.FEMALE, born=datetime.date(1990, 5, 15)
        )
        boris = make_person(
            cls.org, cls.worker, "Boris", sex=Sex.MALE, born=datetime.date(2001, 3, 20)
        )
        syringe, condom = item(cls.org, "Syringe 1 ml"), item(cls.org, "Condom")
        visit(
            cls.site,
            cls.worker,
            anna,
            datetime.date(2026, 2, 3),
            Channel.WINDOW,
            items=[(syringe, 10), (condom, 12)],
            services=[service(cls.org, "counselling")],
        )
        visit(
            cls.site,
            cls.worker,
            boris,
            datetime.date(2026, 2, 10),
            Channel.OUTREACH,
            items=[(syringe, 2)],
        )
        visit(
            cls.bus,
            cls.worker,
            None,
            datetime.date(2026, 2, 10),
            Channel.WINDOW,
            items=[(condom, 3)],
        )
        IndicatorCode.objects.create(org=cls.org, indicator="clients_reached", code="KP-1d")

    def run_command(self, *args: str) -> str:
        out = io.StringIO()
        call_command("indicators", "--org", "org-a", *args, stdout=out)
        return out.getvalue()

    def json_of(self, *args: str) -> dict[str, object]:
        data = json.loads(self.run_command(*FEBRUARY, *args))
        assert isinstance(data, dict)
        return data

    def indicators_of(self, data: dict[str, object]) -> dict[str, dict[str, object]]:
        entries = data["indicators"]
        assert isinstance(entries, list)
        return {entry["id"]: entry for entry in entries}

    def csv_of(self, *args: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(self.run_command(*FEBRUARY, "--format", "csv", *args))))

    # JSON ---------------------------------------------------------------

    def test_json_has_the_period_scope_and_every_total(self) -> None:
        data = self.json_of()
        self.assertEqual(data["period"], {"first": "2026-02-01", "last": "2026-02-28"})
        self.assertEqual(data["organisations"], [self.org.pk])
        self.assertIsNone(data["sites"])
        self.assertEqual(data["by"], [])
        self.assertIs(data["small_numbers_hidden"], False)
        indicators = self.indicators_of(data)
        totals = {key: indicators[key]["total"] for key in indicators}
        self.assertEqual(totals["contacts"], 3)
        self.assertEqual(totals["clients_reached"], 2)
        self.assertEqual(totals["clients_new"], 2)
        self.assertEqual(totals["package_reached"], 1)
        self.assertEqual(totals["syringes"], 12)
        self.assertEqual(totals["condoms"], 15)
        self.assertEqual(indicators["clients_reached"]["donor_codes"], ["KP-1d"])
        self.assertEqual(indicators["clients_reached"]["kind"], "count")
        self.assertEqual(indicators["contacts"]["kind"], "sum")

    def test_json_cells_follow_the_splits_in_the_order_given(self) -> None:
        data = self.json_of("--by", "channel,sex")
        self.assertEqual(data["by"], ["channel", "sex"])
        reached = self.indicators_of(data)["clients_reached"]
        # boris by outreach, anna at the window; the anonymous contact is nobody.
        self.assertEqual(
            reached["cells"],
            [
                {"channel": "outreach", "sex": "1", "value": 1},
                {"channel": "window", "sex": "", "value": 0},
                {"channel": "window", "sex": "2", "value": 1},
            ],
        )

    def test_a_measure_that_cannot_take_a_split_says_so(self) -> None:
        referrals = self.indicators_of(self.json_of("--by", "channel"))["referrals"]
        self.assertIs(referrals["split"], False)
        self.assertEqual(referrals["cells"], [])

    def test_sites_narrow_the_scope(self) -> None:
        data = self.json_of("--sites", "Konotop bus")
        self.assertEqual(data["sites"], [self.bus.pk])
        indicators = self.indicators_of(data)
        # The anonymous contact with 3 condoms only.
        self.assertEqual(indicators["contacts"]["total"], 1)
        self.assertEqual(indicators["condoms"]["total"], 3)
        self.assertEqual(indicators["clients_reached"]["total"], 0)

    def test_site_and_organisation_splits_carry_their_names(self) -> None:
        data = self.json_of("--by", "site,org")
        self.assertEqual(
            data["labels"],
            {
                "site": {str(self.site.pk): "Sumy room", str(self.bus.pk): "Konotop bus"},
                "org": {str(self.org.pk): "Org-A"},
            },
        )

    # Small numbers --------------------------------------------------------

    def test_outside_shows_counts_from_one_to_nine_as_small(self) -> None:
        """SPEC §3.4: 3 contacts and 2 clients become <10; 12 and 15 stay."""
        data = self.json_of("--outside", "--by", "sex")
        self.assertIs(data["small_numbers_hidden"], True)
        indicators = self.indicators_of(data)
        self.assertEqual(indicators["contacts"]["total"], SMALL)
        self.assertEqual(indicators["clients_reached"]["total"], SMALL)
        self.assertEqual(indicators["syringes"]["total"], 12)
        self.assertEqual(indicators["condoms"]["total"], 15)
        self.assertEqual(indicators["overdoses"]["total"], 0)
        self.assertEqual(by_sex(indicators["clients_reached"]), {"": 0, "1": SMALL, "2": SMALL})
        # boris's 2 syringes: <10; the women's 10 hidden too, or 12 − 10 gives 2.
        self.assertEqual(by_sex(indicators["syringes"]), {"": 0, "1": SMALL, "2": None})

    def test_outside_csv_hides_small_counts_too(self) -> None:
        rows = self.csv_of("--outside")
        values = {row[0]: row[3] for row in rows[1:]}
        self.assertEqual(values["contacts"], SMALL)
        self.assertEqual(values["syringes"], "12")
        # No returned syringes: the rate 0 / 12 is shown; continuity has no base.
        self.assertEqual(values["syringes_returned.rate"], "0.0")
        self.assertEqual(values["continuity"], "")

    # CSV ----------------------------------------------------------------

    def test_csv_has_a_header_and_a_row_per_measure_and_cell(self) -> None:
        rows = self.csv_of("--by", "sex")
        self.assertEqual(
            rows[0], ["Indicator", "Measure", "Donor codes", "Sex", "Value", "Definition"]
        )
        reached = [row[:5] for row in rows[1:] if row[0] == "clients_reached"]
        self.assertEqual(
            reached,
            [
                ["clients_reached", "Unique clients reached", "KP-1d", "All", "2"],
                ["clients_reached", "Unique clients reached", "KP-1d", "Not recorded", "0"],
                ["clients_reached", "Unique clients reached", "KP-1d", "Male", "1"],
                ["clients_reached", "Unique clients reached", "KP-1d", "Female", "1"],
            ],
        )
        overdoses = [row[:5] for row in rows[1:] if row[0] == "overdoses"]
        self.assertEqual(overdoses, [["overdoses", "Overdoses responded to", "", "All", "0"]])

    # --by ---------------------------------------------------------------

    def test_by_takes_commas_and_forgives_spaces_and_empty_parts(self) -> None:
        self.assertEqual(self.json_of("--by", "sex, channel")["by"], ["sex", "channel"])
        self.assertEqual(self.json_of("--by", "sex,,month,")["by"], ["sex", "month"])
        self.assertEqual(self.json_of("--by", "")["by"], [])

    def test_by_refuses_an_unknown_or_repeated_split(self) -> None:
        for by in ("colour", "sex,sex", "sex,Channel"):
            with self.subTest(by=by), self.assertRaisesMessage(CommandError, "--by takes each of"):
                self.run_command(*FEBRUARY, "--by", by)

    # Refusals -------------------------------------------------------------

    def test_an_unknown_organisation_is_refused(self) -> None:
        out = io.StringIO()
        with self.assertRaisesMessage(CommandError, "No organisation 'nowhere'."):
            call_command("indicators", "--org", "nowhere", *FEBRUARY, stdout=out)

    def test_an_unknown_site_is_refused(self) -> None:
        with self.assertRaisesMessage(CommandError, "No site Odesa in org-a."):
            self.run_command(*FEBRUARY, "--sites", "Sumy room,Odesa")

    def test_a_date_that_does_not_exist_is_refused(self) -> None:
        for first, last, message in (
            ("2026-02-30", "2026-03-01", "'2026-02-30' is not a date YYYY-MM-DD."),
            ("2026-02-01", "28.02.2026", "'28.02.2026' is not a date YYYY-MM-DD."),
            ("2026-03-01", "2026-02-01", "The period ends before it starts."),
        ):
            with (
                self.subTest(first=first, last=last),
                self.assertRaisesMessage(CommandError, message),
            ):
                self.run_command("--from", first, "--to", last)
