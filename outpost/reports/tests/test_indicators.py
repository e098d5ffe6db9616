"""Every indicator and split of SPEC §3, against a dataset worked out by hand.

The period is February and March 2026. The dataset is written through the
real actions (contacts, tests, referrals, overdoses), so the day summaries
the reports read are the ones staff would produce. Every figure below was
counted by hand from SPEC §3 and this list, not by running the engine.

Clients of organisation A (sex 1 male, 2 female, 3 other; age on the first
contact in the period, SPEC §3.3):

    client  sex born        groups                      age first contact ever
    anna    2   1990-05-15  injects_opioids             35  2026-02-03 (new)
    boris   1   2001-03-20  injects_stimulants, chemsex 24  2026-02-10 (new)
    vira    2   1998-07-01  none                        27  2026-02-05 (new)
    gleb    1   1980-01-10  injects_opioids             46  2026-01-31
    dana    2   2008-06-01  sex_work                    17  2026-02-14 (new)
    egor    1   1960-02-02  injects_opioids             —   2025-11-03
    fedir   3   1995-11-11  injects_opioids             30  2025-11-02 (backdated)
    halyna  2   1993-04-04  injects_opioids             32  2025-11-20
    ivan    1   1999-09-09  non_injecting               26  2026-03-09 (new)

boris turns 25 on 2026-03-20, between his two contacts in the period.
fedir was first recorded on 2026-03-05; a paper record of 2025-11-02 typed
in afterwards makes him an old client.

Contacts in the period (S = Sumy room, K = Konotop bus; units: syringes,
needles, naloxone, condoms; "ret" = used syringes returned; C = counselling):

    P1   02-03 S window   anna   syr 10
    P1b  02-03 S window   anna   ndl 5
    P2   02-03 S window   —      syr 5, cond 10
    P3   02-05 S window   vira   injecting kit (syr 5, ndl 5), HIV self-test 1
    P4   02-10 S window   boris  syr 10, ret 8; HIV rapid test invalid
    P5   02-14 K outreach dana   cond 10, C; HIV reactive, result not given
    P6   02-17 S window   anna   cond 5, C, ret 10; HIV non-reactive, given
    P7   02-20 S room     gleb   naloxone kit (nal 2, syr 2), cond 2, C,
                                 ret 5; HIV reactive, given
    P17  03-02 S window   gleb   syr 10, ret 10
    P8   03-03 K mobile   halyna ndl 10, cond 3, C
    P9   03-05 K mobile   fedir  syr 4
    P10  03-09 S window   ivan   syr 10, cond 5, HIV self-test 1 (no result)
    P11  03-12 S outreach vira   safer sex kit (cond 5), C; vira reports her
                                 self-test of P3 non-reactive
    P12  03-15 K outreach —      nal 2
    P13  03-16 K mobile   anna   cond 3; HIV non-reactive, given
    P14  03-25 S room     boris  nal 1; HCV non-reactive, given

Before the period: 2025-03-31 S window anonymous syr 30; 2025-04-01 S
window anonymous syr 6; 2025-11-02 S window fedir syr 20 (backdated);
2025-11-03 S window egor syr 10; 2025-11-20 S window halyna syr 10 with an
HIV test and a referral (completed 2026-02-05); 2026-01-31 S window gleb
syr 10; an overdose at S on 2026-01-15 (died, 1 dose).

Referrals issued in the period: gleb 02-20 S confirmatory (completed
03-01), dana 02-14 K social services (open), fedir 03-05 K opioid
substitution (completed 03-20), ivan 03-31 S doctor (completed 04-02).

Overdoses in the period: S 02-20 recovered (2 doses), S 03-08 hospital (1
dose), K 03-15 recovered (none), K 03-28 outcome not yet known.

The continuity cohort (contacts 2025-11-03 to 2026-01-31): egor, halyna,
gleb. Organisation A estimates 40 people who inject drugs in its area.
Organisation B has one client, zoya (female, born 1991), seen once on
2026-02-10 with 2 condoms.
"""

import datetime
from collections.abc import Mapping, Sequence

from outpost.clients.models import Client
from outpost.core.choices import Channel, Sex
from outpost.core.periods import Period
from outpost.core.roles import Role
from outpost.core.tests.base import WorkerTestCase, make_org, make_site, make_staff
from outpost.orgs.models import Organisation, Site, User
from outpost.reports import definitions as d
from outpost.reports.indicators import (
    TOTAL,
    Figure,
    Key,
    Report,
    Value,
    compute_report,
    scope_of,
)
from outpost.reports.models import PopulationEstimate
from outpost.reports.output import SMALL, as_json, shown
from outpost.reports.tests.factories import (
    item,
    kit,
    make_person,
    overdose,
    rapid_test,
    refer,
    report_self_test,
    service,
    stock_everything,
    visit,
)
from outpost.room.models import OverdoseIncident
from outpost.testing.models import Referral, Result

PERIOD = Period(datetime.date(2026, 2, 1), datetime.date(2026, 3, 31))
FEB, MAR = "2026-02", "2026-03"
MALE, FEMALE, OTHER = Sex.MALE.value, Sex.FEMALE.value, Sex.OTHER.value
WINDOW, ROOM, OUTREACH, BUS = (
    Channel.WINDOW.value,
    Channel.ROOM.value,
    Channel.OUTREACH.value,
    Channel.MOBILE_UNIT.value,
)
NOT_RECORDED = ""
Outcome = OverdoseIncident.Outcome
# Measures that give a total only for some splits.
OVERDOSE_MEASURES = {m.id for m in d.MEASURES if m.indicator == "overdoses"}
REFERRAL_MEASURES = {"referrals", "referrals.completed"}
CONTINUITY_MEASURES = {"continuity.cohort", "continuity.kept", "continuity"}

# SPEC §3.1, for organisation A over the period, unsplit.
TOTALS: dict[str, Value] = {
    # P1–P14 with P1b and P17: 16, the two anonymous ones included.
    "contacts": 16,
    # anna, boris, vira, gleb, dana, fedir, halyna, ivan; egor has no contact
    # in the period and anonymous contacts are nobody.
    "clients_reached": 8,
    # anna, boris, vira, dana, ivan; gleb, halyna and (after the backdated
    # record) fedir were first seen before the period.
    "clients_new": 5,
    # anna (P1 syringes + P6 condoms and counselling), vira (P3 + P11),
    # gleb (P7), halyna (P8, needles count as syringes or needles); boris
    # and fedir have no condoms, dana no syringe, ivan no counselling.
    "package_reached": 4,
    # anna (twice, once), gleb, vira (self-test result reported); not
    # boris (invalid), dana (not given), ivan (no result), halyna (before).
    "hiv_tested": 3,
    # P1 10 + P2 5 + P3 5 + P4 10 + P7 2 (naloxone kit) + P17 10 + P9 4 + P10 10.
    "syringes": 56,
    # P1b 5 + P3 5 + P8 10.
    "needles": 20,
    # P4 8 + P6 10 + P7 5 + P17 10.
    "syringes_returned": 33,
    "syringes_returned.rate": 33 / 56,
    # P7 2 + P12 2 + P14 1.
    "naloxone": 5,
    # gleb and boris; the anonymous P12 is nobody.
    "naloxone.recipients": 2,
    # P2 10 + P5 10 + P6 5 + P7 2 + P8 3 + P10 5 + P11 5 + P13 3.
    "condoms": 43,
    # The four incidents of February and March; January's is outside.
    "overdoses": 4,
    "overdoses.pending": 1,
    "overdoses.recovered": 2,
    "overdoses.hospital": 1,
    "overdoses.refused_hospital": 0,
    "overdoses.left": 0,
    "overdoses.died": 0,
    # 2 + 1 + 0 + 0.
    "overdoses.naloxone_doses": 3,
    # gleb, dana, fedir, ivan; halyna's was issued in November.
    "referrals": 4,
    # gleb, fedir, and ivan's completed after the period ends.
    "referrals.completed": 3,
    # Syringes 2025-04-01..2026-03-31: 6 + 20 + 10 + 10 + 10 + 56 = 112 (the
    # 30 of 2025-03-31 are outside), over 40 people.
    "syringes_per_pwid": 112 / 40,
    # egor (2025-11-03, the cohort's first day), halyna, gleb (2026-01-31);
    # fedir's 2025-11-02 is one day too early.
    "continuity.cohort": 3,
    # gleb and halyna came back; egor did not.
    "continuity.kept": 2,
    "continuity": 2 / 3,
}


def figures_of(report: Report) -> dict[str, Figure]:
    return {figure.measure.id: figure for figure in report.figures}


def totals(report: Report) -> dict[str, Value]:
    return {figure.measure.id: figure.total for figure in report.figures}


def filled(figure: Figure) -> dict[Key, Value]:
    """The cells that hold something: zeros and ratios without a base left out."""
    return {key: value for key, value in figure.cells.items() if value}


class IndicatorTestCase(WorkerTestCase):
    """Organisation A with two sites and nine clients; organisation B with one."""

    manager: User
    bus: Site
    other_org: Organisation
    other_site: Site
    outsider: User
    anna: Client
    boris: Client
    vira: Client
    gleb: Client
    dana: Client
    egor: Client
    fedir: Client
    halyna: Client
    ivan: Client
    zoya: Client

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.manager = make_staff(cls.org, "manager", Role.MANAGER, cls.site)
        cls.bus = make_site(
            cls.org,
            "Konotop bus",
            kind=Site.Kind.MOBILE_UNIT,
            default_channel=Channel.MOBILE_UNIT,
        )
        cls.other_org = make_org("org-b")
        cls.other_site = make_site(cls.other_org, "Other room")
        cls.outsider = make_staff(cls.other_org, "outsider", Role.SOCIAL_WORKER, cls.other_site)
        for site, keeper in ((cls.site, cls.manager), (cls.bus, cls.manager)):
            stock_everything(site, keeper)
        stock_everything(cls.other_site, cls.outsider)
        cls._make_clients()
        cls._record_before_the_period()
        cls._record_february()
        cls._record_march()
        cls._record_organisation_b()
        PopulationEstimate.objects.create(org=cls.org, area="Sumy oblast", people=40)

    @classmethod
    def _make_clients(cls) -> None:
        def person(name: str, sex: str, born: datetime.date, *groups: str) -> Client:
            return make_person(cls.org, cls.worker, name, sex=sex, born=born, groups=groups)

        date = datetime.date
        cls.anna = person("Anna", FEMALE, date(1990, 5, 15), "injects_opioids")
        cls.boris = person("Boris", MALE, date(2001, 3, 20), "injects_stimulants", "chemsex")
        cls.vira = person("Vira", FEMALE, date(1998, 7, 1))
        cls.gleb = person("Gleb", MALE, date(1980, 1, 10), "injects_opioids")
        cls.dana = person("Dana", FEMALE, date(2008, 6, 1), "sex_work")
        cls.egor = person("Egor", MALE, date(1960, 2, 2), "injects_opioids")
        cls.fedir = person("Fedir", OTHER, date(1995, 11, 11), "injects_opioids")
        cls.halyna = person("Halyna", FEMALE, date(1993, 4, 4), "injects_opioids")
        cls.ivan = person("Ivan", MALE, date(1999, 9, 9), "non_injecting")

    @classmethod
    def _record_before_the_period(cls) -> None:
        org, site, worker = cls.org, cls.site, cls.worker
        syringe_1ml, syringe_2ml = item(org, "Syringe 1 ml"), item(org, "Syringe 2 ml")
        date = datetime.date
        visit(site, worker, None, date(2025, 3, 31), WINDOW, items=[(syringe_1ml, 30)])
        visit(site, worker, None, date(2025, 4, 1), WINDOW, items=[(syringe_1ml, 6)])
        visit(site, worker, cls.egor, date(2025, 11, 3), WINDOW, items=[(syringe_2ml, 10)])
        visit(site, worker, cls.halyna, date(2025, 11, 20), WINDOW, items=[(syringe_2ml, 10)])
        rapid_test(site, worker, cls.halyna, date(2025, 11, 20), result=Result.NON_REACTIVE)
        refer(
            site,
            worker,
            cls.halyna,
            date(2025, 11, 20),
            Referral.Target.SOCIAL,
            completed_on=date(2026, 2, 5),
        )
        visit(site, worker, cls.gleb, date(2026, 1, 31), WINDOW, items=[(syringe_1ml, 10)])
        overdose(site, worker, date(2026, 1, 15), Outcome.DIED, doses=1)

    @classmethod
    def _record_february(cls) -> None:
        org, site, bus, worker = cls.org, cls.site, cls.bus, cls.worker
        counselling = service(org, "counselling")
        syringe_1ml, syringe_2ml = item(org, "Syringe 1 ml"), item(org, "Syringe 2 ml")
        condom, needle = item(org, "Condom"), item(org, "Needle 27G")
        self_test = item(org, "HIV saliva self-test")
        date = datetime.date
        visit(site, worker, cls.anna, date(2026, 2, 3), WINDOW, items=[(syringe_1ml, 10)])
        visit(site, worker, cls.anna, date(2026, 2, 3), WINDOW, items=[(needle, 5)], hour=16)
        visit(site, worker, None, date(2026, 2, 3), WINDOW, items=[(syringe_1ml, 5), (condom, 10)])
        visit(
            site,
            worker,
            cls.vira,
            date(2026, 2, 5),
            WINDOW,
            kits=[(kit(org, "Injecting kit"), 1)],
            items=[(self_test, 1)],
        )
        visit(
            site,
            worker,
            cls.boris,
            date(2026, 2, 10),
            WINDOW,
            items=[(syringe_2ml, 10)],
            returned=8,
        )
        rapid_test(site, worker, cls.boris, date(2026, 2, 10), result=Result.INVALID)
        visit(
            bus,
            worker,
            cls.dana,
            date(2026, 2, 14),
            OUTREACH,
            items=[(condom, 10)],
            services=[counselling],
        )
        rapid_test(bus, worker, cls.dana, date(2026, 2, 14), result=Result.REACTIVE, given=False)
        refer(bus, worker, cls.dana, date(2026, 2, 14), Referral.Target.SOCIAL)
        visit(
            site,
            worker,
            cls.anna,
            date(2026, 2, 17),
            WINDOW,
            items=[(condom, 5)],
            services=[counselling],
            returned=10,
        )
        rapid_test(site, worker, cls.anna, date(2026, 2, 17), result=Result.NON_REACTIVE)
        visit(
            site,
            worker,
            cls.gleb,
            date(2026, 2, 20),
            ROOM,
            kits=[(kit(org, "Naloxone kit"), 1)],
            items=[(condom, 2)],
            services=[counselling],
            returned=5,
        )
        reactive = rapid_test(site, worker, cls.gleb, date(2026, 2, 20), result=Result.REACTIVE)
        refer(
            site,
            worker,
            cls.gleb,
            date(2026, 2, 20),
            Referral.Target.CONFIRMATORY,
            test=reactive,
            completed_on=date(2026, 3, 1),
        )
        overdose(site, worker, date(2026, 2, 20), Outcome.RECOVERED, doses=2)

    @classmethod
    def _record_march(cls) -> None:
        org, site, bus, worker = cls.org, cls.site, cls.bus, cls.worker
        counselling = service(org, "counselling")
        syringe_1ml, syringe_5ml = item(org, "Syringe 1 ml"), item(org, "Syringe 5 ml")
        condom, needle = item(org, "Condom"), item(org, "Needle 27G")
        naloxone = item(org, "Naloxone 0.4 mg/ml ampoule")
        date = datetime.date
        visit(
            site,
            worker,
            cls.gleb,
            date(2026, 3, 2),
            WINDOW,
            items=[(syringe_1ml, 10)],
            returned=10,
        )
        visit(
            bus,
            worker,
            cls.halyna,
            date(2026, 3, 3),
            BUS,
            items=[(needle, 10), (condom, 3)],
            services=[counselling],
        )
        visit(bus, worker, cls.fedir, date(2026, 3, 5), BUS, items=[(syringe_5ml, 4)])
        refer(
            bus,
            worker,
            cls.fedir,
            date(2026, 3, 5),
            Referral.Target.OST,
            completed_on=date(2026, 3, 20),
        )
        # The paper record of fedir's first visit, typed in after March's.
        visit(site, worker, cls.fedir, date(2025, 11, 2), WINDOW, items=[(syringe_1ml, 20)])
        overdose(site, worker, date(2026, 3, 8), Outcome.HOSPITAL, doses=1)
        visit(
            site,
            worker,
            cls.ivan,
            date(2026, 3, 9),
            WINDOW,
            items=[(syringe_1ml, 10), (condom, 5), (item(org, "HIV saliva self-test"), 1)],
        )
        visit(
            site,
            worker,
            cls.vira,
            date(2026, 3, 12),
            OUTREACH,
            kits=[(kit(org, "Safer sex kit"), 1)],
            services=[counselling],
        )
        report_self_test(site, worker, cls.vira, date(2026, 3, 12), result=Result.NON_REACTIVE)
        visit(bus, worker, None, date(2026, 3, 15), OUTREACH, items=[(naloxone, 2)])
        overdose(bus, worker, date(2026, 3, 15), Outcome.RECOVERED)
        visit(bus, worker, cls.anna, date(2026, 3, 16), BUS, items=[(condom, 3)])
        rapid_test(bus, worker, cls.anna, date(2026, 3, 16), result=Result.NON_REACTIVE)
        visit(site, worker, cls.boris, date(2026, 3, 25), ROOM, items=[(naloxone, 1)])
        rapid_test(
            site,
            worker,
            cls.boris,
            date(2026, 3, 25),
            result=Result.NON_REACTIVE,
            category="rapid_test_hcv",
        )
        overdose(bus, worker, date(2026, 3, 28), Outcome.PENDING)
        refer(
            site,
            worker,
            cls.ivan,
            date(2026, 3, 31),
            Referral.Target.DOCTOR,
            completed_on=date(2026, 4, 2),
        )

    @classmethod
    def _record_organisation_b(cls) -> None:
        org, site, worker = cls.other_org, cls.other_site, cls.outsider
        cls.zoya = make_person(
            org, worker, "Zoya", sex=FEMALE, born=datetime.date(1991, 8, 8), groups=["sex_work"]
        )
        visit(
            site,
            worker,
            cls.zoya,
            datetime.date(2026, 2, 10),
            WINDOW,
            items=[(item(org, "Condom"), 2)],
        )

    # Helpers ------------------------------------------------------------

    @property
    def sumy(self) -> str:
        return str(self.site.pk)

    @property
    def konotop(self) -> str:
        return str(self.bus.pk)

    def report(self, *by: str, org_ids: Sequence[int] | None = None) -> Report:
        return compute_report(scope_of(org_ids or [self.org.pk]), PERIOD, by)

    def assert_cells(self, report: Report, expected: Mapping[str, Mapping[Key, Value]]) -> None:
        """Each measure named is split, and its cells other than zero are these."""
        figures = figures_of(report)
        for measure_id, cells in expected.items():
            with self.subTest(measure=measure_id):
                self.assertIs(figures[measure_id].split, True)
                self.assertEqual(filled(figures[measure_id]), dict(cells))

    def assert_split_only(self, report: Report, unsplit: set[str]) -> None:
        """The measures named give a total only; every other one takes the splits."""
        self.assertEqual(
            {figure.measure.id for figure in report.figures if not figure.split}, unsplit
        )

    def assert_totals_unchanged(self, report: Report) -> None:
        """A total is its own count whatever the splits (SPEC §3.3)."""
        self.assertEqual(totals(report), TOTALS)


class TotalsTests(IndicatorTestCase):
    def test_every_measure_of_spec_3_1_has_its_hand_worked_total(self) -> None:
        """SPEC §3.1: each measure of the definitions, unsplit, for organisation A."""
        self.assertEqual(set(TOTALS), set(d.MEASURES_BY_ID))
        self.assertEqual(totals(self.report()), TOTALS)

    def test_anonymous_contacts_count_as_contacts_and_units_never_as_clients(self) -> None:
        """SPEC §2: P2 and P12 add 2 contacts, 5 syringes, 10 condoms, 2 naloxone."""
        cells = figures_of(self.report(d.SEX))
        self.assertEqual(cells["contacts"].cells[(NOT_RECORDED,)], 2)
        self.assertEqual(cells["syringes"].cells[(NOT_RECORDED,)], 5)
        self.assertEqual(cells["condoms"].cells[(NOT_RECORDED,)], 10)
        self.assertEqual(cells["naloxone"].cells[(NOT_RECORDED,)], 2)
        for measure in ("clients_reached", "clients_new", "naloxone.recipients"):
            self.assertEqual(cells[measure].cells[(NOT_RECORDED,)], 0)

    def test_a_backdated_first_contact_makes_a_client_old(self) -> None:
        """SPEC §3.1 clients_new: first contact *ever*, backdated records included.

        fedir's paper record of 2025-11-02 (typed in after his March visit)
        makes him old; ivan, new until a record of December 2025 is typed
        in, becomes old too, and joins the continuity cohort as kept.
        """
        self.fedir.refresh_from_db()
        self.assertEqual(self.fedir.first_contact_date, datetime.date(2025, 11, 2))
        by_sex = figures_of(self.report(d.SEX))
        self.assertEqual(by_sex["clients_reached"].cells[(OTHER,)], 1)  # fedir
        self.assertEqual(by_sex["clients_new"].cells[(OTHER,)], 0)  # fedir is old
        visit(self.site, self.worker, self.ivan, datetime.date(2025, 12, 1), WINDOW)
        after = totals(self.report())
        # anna, boris, vira, dana: 4.
        self.assertEqual(after["clients_new"], 4)
        # egor, halyna, gleb and now ivan: 4, of whom all but egor came back.
        self.assertEqual((after["continuity.cohort"], after["continuity.kept"]), (4, 3))

    def test_syringes_per_pwid_takes_the_twelve_months_ending_with_the_period(self) -> None:
        """SPEC §3.1 syringes_per_pwid: 2025-04-01..2026-03-31, whatever the period's start."""
        march = compute_report(
            scope_of([self.org.pk]), Period(datetime.date(2026, 3, 1), PERIOD.last)
        )
        # The same 112 syringes over the same 40 people.
        self.assertEqual(figures_of(march)["syringes_per_pwid"].total, 112 / 40)
        self.assertEqual(figures_of(march)["syringes_per_pwid"].basis[TOTAL], (112, 40))
        # Without an estimate there is no value rather than a division by zero.
        PopulationEstimate.objects.all().delete()
        self.assertIsNone(figures_of(self.report())["syringes_per_pwid"].total)


class SplitTests(IndicatorTestCase):
    """SPEC §3.3: each split on its own, every cell counted on its own."""

    def test_split_by_sex(self) -> None:
        """SPEC §3.3 sex; overdoses are not about a client and give a total only."""
        report = self.report(d.SEX)
        self.assert_totals_unchanged(report)
        self.assert_split_only(report, OVERDOSE_MEASURES | {"syringes_per_pwid"})
        self.assertEqual(report.keys, [(NOT_RECORDED,), (MALE,), (FEMALE,), (OTHER,)])
        self.assert_cells(
            report,
            {
                # Anonymous P2, P12: 2. boris 2 + gleb 2 + ivan 1: 5.
                # anna 4 + vira 2 + dana 1 + halyna 1: 8. fedir: 1.
                "contacts": {(NOT_RECORDED,): 2, (MALE,): 5, (FEMALE,): 8, (OTHER,): 1},
                # boris, gleb, ivan: 3; anna, vira, dana, halyna: 4; fedir: 1.
                "clients_reached": {(MALE,): 3, (FEMALE,): 4, (OTHER,): 1},
                # boris, ivan: 2; anna, vira, dana: 3; fedir is old.
                "clients_new": {(MALE,): 2, (FEMALE,): 3},
                # gleb: 1; anna, vira, halyna: 3.
                "package_reached": {(MALE,): 1, (FEMALE,): 3},
                # gleb: 1; anna, vira: 2.
                "hiv_tested": {(MALE,): 1, (FEMALE,): 2},
                # P2 5; boris 10 + gleb 2 + 10 + ivan 10 = 32; anna 10 + vira 5
                # = 15; fedir 4.
                "syringes": {(NOT_RECORDED,): 5, (MALE,): 32, (FEMALE,): 15, (OTHER,): 4},
                # anna 5 + vira 5 + halyna 10.
                "needles": {(FEMALE,): 20},
                # boris 8 + gleb 5 + 10 = 23; anna 10.
                "syringes_returned": {(MALE,): 23, (FEMALE,): 10},
                "syringes_returned.rate": {(MALE,): 23 / 32, (FEMALE,): 10 / 15},
                # P12 2; gleb 2 + boris 1.
                "naloxone": {(NOT_RECORDED,): 2, (MALE,): 3},
                "naloxone.recipients": {(MALE,): 2},
                # P2 10; gleb 2 + ivan 5; dana 10 + anna 8 + halyna 3 + vira 5.
                "condoms": {(NOT_RECORDED,): 10, (MALE,): 7, (FEMALE,): 26},
                # gleb, ivan: 2; dana: 1; fedir: 1.
                "referrals": {(MALE,): 2, (FEMALE,): 1, (OTHER,): 1},
                # gleb, ivan; fedir.
                "referrals.completed": {(MALE,): 2, (OTHER,): 1},
                # gleb, egor: 2; halyna: 1.
                "continuity.cohort": {(MALE,): 2, (FEMALE,): 1},
                # gleb; halyna.
                "continuity.kept": {(MALE,): 1, (FEMALE,): 1},
                "continuity": {(MALE,): 1 / 2, (FEMALE,): 1.0},
            },
        )

    def test_split_by_age_band_takes_the_age_at_the_first_contact_in_the_period(self) -> None:
        """SPEC §3.3 age band: boris is 24 on 2026-02-10, so <25 even at 25 on 03-25.

        His naloxone of 03-25 counts under <25 with the rest of him.
        Continuity takes the age on the period's first day (engine's choice).
        """
        report = self.report(d.AGE_BAND)
        self.assert_totals_unchanged(report)
        self.assert_split_only(report, OVERDOSE_MEASURES | {"syringes_per_pwid"})
        young, older = ("<25",), ("25+",)
        self.assert_cells(
            report,
            {
                # Anonymous 2; boris 2 + dana 1; the other six 11.
                "contacts": {(NOT_RECORDED,): 2, young: 3, older: 11},
                # boris, dana: 2; anna, vira, gleb, fedir, halyna, ivan: 6.
                "clients_reached": {young: 2, older: 6},
                # boris, dana; anna, vira, ivan.
                "clients_new": {young: 2, older: 3},
                # anna, vira, gleb, halyna.
                "package_reached": {older: 4},
                # anna, vira, gleb.
                "hiv_tested": {older: 3},
                # P2 5; boris 10; anna 10 + vira 5 + gleb 12 + fedir 4 + ivan 10.
                "syringes": {(NOT_RECORDED,): 5, young: 10, older: 41},
                "needles": {older: 20},
                # boris 8; anna 10 + gleb 15.
                "syringes_returned": {young: 8, older: 25},
                # P12 2; boris 1 (on 03-25, when 25); gleb 2.
                "naloxone": {(NOT_RECORDED,): 2, young: 1, older: 2},
                "naloxone.recipients": {young: 1, older: 1},
                # P2 10; dana 10; the rest 23.
                "condoms": {(NOT_RECORDED,): 10, young: 10, older: 23},
                # dana; gleb, fedir, ivan.
                "referrals": {young: 1, older: 3},
                "referrals.completed": {older: 3},
                # On 2026-02-01 egor is 65 (66 on 02-02), gleb 46, halyna 32.
                "continuity.cohort": {older: 3},
                "continuity.kept": {older: 2},
                "continuity": {older: 2 / 3},
            },
        )

    def test_split_by_finer_age_band(self) -> None:
        """SPEC §3.3 finer age band: 10–14 … 50+ on the first contact in the period."""
        report = self.report(d.AGE_BAND_FINE)
        self.assert_totals_unchanged(report)
        self.assert_split_only(report, OVERDOSE_MEASURES | {"syringes_per_pwid"})
        teen, early, late, thirties, forties, fifty = (
            ("15–19",),  # dana, 17
            ("20–24",),  # boris, 24
            ("25–29",),  # vira 27, ivan 26
            ("30–39",),  # anna 35, fedir 30, halyna 32
            ("40–49",),  # gleb 46
            ("50+",),  # egor, 65, in the continuity cohort only
        )
        self.assertEqual(
            report.keys, [(NOT_RECORDED,), teen, early, late, thirties, forties, fifty]
        )
        self.assert_cells(
            report,
            {
                # dana 1; boris 2; vira 2 + ivan 1; anna 4 + fedir 1 + halyna 1; gleb 2.
                "contacts": {
                    (NOT_RECORDED,): 2,
                    teen: 1,
                    early: 2,
                    late: 3,
                    thirties: 6,
                    forties: 2,
                },
                "clients_reached": {teen: 1, early: 1, late: 2, thirties: 3, forties: 1},
                # dana; boris; vira, ivan; anna.
                "clients_new": {teen: 1, early: 1, late: 2, thirties: 1},
                # vira; anna, halyna; gleb.
                "package_reached": {late: 1, thirties: 2, forties: 1},
                # vira; anna; gleb.
                "hiv_tested": {late: 1, thirties: 1, forties: 1},
                # boris 10; vira 5 + ivan 10; anna 10 + fedir 4; gleb 12.
                "syringes": {(NOT_RECORDED,): 5, early: 10, late: 15, thirties: 14, forties: 12},
                # vira 5; anna 5 + halyna 10.
                "needles": {late: 5, thirties: 15},
                # boris 8; anna 10; gleb 5 + 10.
                "syringes_returned": {early: 8, thirties: 10, forties: 15},
                # P12 2; boris 1; gleb 2.
                "naloxone": {(NOT_RECORDED,): 2, early: 1, forties: 2},
                "naloxone.recipients": {early: 1, forties: 1},
                # P2 10; dana 10; ivan 5 + vira 5; anna 8 + halyna 3; gleb 2.
                "condoms": {(NOT_RECORDED,): 10, teen: 10, late: 10, thirties: 11, forties: 2},
                # dana; ivan; fedir; gleb.
                "referrals": {teen: 1, late: 1, thirties: 1, forties: 1},
                # ivan; fedir; gleb.
                "referrals.completed": {late: 1, thirties: 1, forties: 1},
                # halyna; gleb; egor.
                "continuity.cohort": {thirties: 1, forties: 1, fifty: 1},
                "continuity.kept": {thirties: 1, forties: 1},
            },
        )

    def test_split_by_group_counts_a_client_in_each_of_their_groups(self) -> None:
        """SPEC §3.3 population group: boris is in two groups, vira in none."""
        report = self.report(d.GROUP)
        self.assert_totals_unchanged(report)
        self.assert_split_only(report, OVERDOSE_MEASURES | {"syringes_per_pwid"})
        opioids, stimulants, chemsex = ("injects_opioids",), ("injects_stimulants",), ("chemsex",)
        sex_work, non_injecting, none = ("sex_work",), ("non_injecting",), ("none",)
        reached = figures_of(report)["clients_reached"]
        # boris counts in two cells: 9 cells for 8 clients.
        self.assertEqual(sum(v for v in reached.cells.values() if isinstance(v, int)), 9)
        self.assert_cells(
            report,
            {
                # anna 4 + gleb 2 + fedir 1 + halyna 1; boris 2 twice; dana; ivan; vira 2.
                "contacts": {
                    (NOT_RECORDED,): 2,
                    opioids: 8,
                    stimulants: 2,
                    chemsex: 2,
                    sex_work: 1,
                    non_injecting: 1,
                    none: 2,
                },
                # anna, gleb, fedir, halyna; boris; boris; dana; ivan; vira.
                "clients_reached": {
                    opioids: 4,
                    stimulants: 1,
                    chemsex: 1,
                    sex_work: 1,
                    non_injecting: 1,
                    none: 1,
                },
                # anna; boris; boris; dana; ivan; vira.
                "clients_new": {
                    opioids: 1,
                    stimulants: 1,
                    chemsex: 1,
                    sex_work: 1,
                    non_injecting: 1,
                    none: 1,
                },
                # anna, gleb, halyna; vira.
                "package_reached": {opioids: 3, none: 1},
                # anna, gleb; vira.
                "hiv_tested": {opioids: 2, none: 1},
                # anna 10 + gleb 12 + fedir 4; boris 10 twice; ivan 10; vira 5.
                "syringes": {
                    (NOT_RECORDED,): 5,
                    opioids: 26,
                    stimulants: 10,
                    chemsex: 10,
                    non_injecting: 10,
                    none: 5,
                },
                # anna 5 + halyna 10; vira 5.
                "needles": {opioids: 15, none: 5},
                # anna 10 + gleb 15; boris 8 twice.
                "syringes_returned": {opioids: 25, stimulants: 8, chemsex: 8},
                # P12 2; gleb 2; boris 1 twice.
                "naloxone": {(NOT_RECORDED,): 2, opioids: 2, stimulants: 1, chemsex: 1},
                "naloxone.recipients": {opioids: 1, stimulants: 1, chemsex: 1},
                # P2 10; anna 8 + gleb 2 + halyna 3; dana 10; ivan 5; vira 5.
                "condoms": {
                    (NOT_RECORDED,): 10,
                    opioids: 13,
                    sex_work: 10,
                    non_injecting: 5,
                    none: 5,
                },
                # gleb, fedir; dana; ivan.
                "referrals": {opioids: 2, sex_work: 1, non_injecting: 1},
                "referrals.completed": {opioids: 2, non_injecting: 1},
                # egor, halyna, gleb; of them gleb and halyna came back.
                "continuity.cohort": {opioids: 3},
                "continuity.kept": {opioids: 2},
            },
        )

    def test_split_by_channel(self) -> None:
        """SPEC §3.3 channel; referrals and overdoses have no channel: total only."""
        report = self.report(d.CHANNEL)
        self.assert_totals_unchanged(report)
        self.assert_split_only(
            report, OVERDOSE_MEASURES | REFERRAL_MEASURES | {"syringes_per_pwid"}
        )
        window, room, outreach, bus = (WINDOW,), (ROOM,), (OUTREACH,), (BUS,)
        self.assertEqual(report.keys, [bus, outreach, room, window])
        self.assert_cells(
            report,
            {
                # P1 P1b P2 P3 P4 P6 P17 P10; P7 P14; P5 P11 P12; P8 P9 P13.
                "contacts": {window: 8, room: 2, outreach: 3, bus: 3},
                # anna, vira, boris, gleb, ivan; gleb, boris; dana, vira;
                # halyna, fedir, anna.
                "clients_reached": {window: 5, room: 2, outreach: 2, bus: 3},
                # anna, vira, boris, ivan; boris; dana, vira; anna.
                "clients_new": {window: 4, room: 1, outreach: 2, bus: 1},
                # anna at the window (P1 P1b P6); gleb in the room (P7); halyna
                # on the bus (P8). vira got syringes at the window and condoms
                # and counselling from outreach: met in neither cell.
                "package_reached": {window: 1, room: 1, bus: 1},
                # anna (P6), vira (the self-test of P3); gleb (P7); anna (P13).
                "hiv_tested": {window: 2, room: 1, bus: 1},
                # 10 + 5 + 5 + 10 + 10 + 10; 2; 4.
                "syringes": {window: 50, room: 2, bus: 4},
                # anna 5 + vira 5; halyna 10.
                "needles": {window: 10, bus: 10},
                # boris 8 + anna 10 + gleb 10; gleb 5.
                "syringes_returned": {window: 28, room: 5},
                # gleb 2 + boris 1; P12 2.
                "naloxone": {room: 3, outreach: 2},
                "naloxone.recipients": {room: 2},
                # P2 10 + P6 5 + P10 5; P7 2; P5 10 + P11 5; P8 3 + P13 3.
                "condoms": {window: 20, room: 2, outreach: 15, bus: 6},
                # The cohort came to the window; only gleb came back there
                # (halyna came back on the bus, where she had no cohort contact).
                "continuity.cohort": {window: 3},
                "continuity.kept": {window: 1},
            },
        )

    def test_split_by_site(self) -> None:
        """SPEC §3.3 site: every measure but syringes per person who injects."""
        report = self.report(d.SITE)
        self.assert_totals_unchanged(report)
        self.assert_split_only(report, {"syringes_per_pwid"})
        sumy, konotop = (self.sumy,), (self.konotop,)
        self.assert_cells(
            report,
            {
                # P1 P1b P2 P3 P4 P6 P7 P17 P10 P11 P14; P5 P8 P9 P12 P13.
                "contacts": {sumy: 11, konotop: 5},
                # anna, vira, boris, gleb, ivan; dana, halyna, fedir, anna.
                "clients_reached": {sumy: 5, konotop: 4},
                # anna, vira, boris, ivan; dana, anna.
                "clients_new": {sumy: 4, konotop: 2},
                # anna, vira (P3 + P11, both at Sumy), gleb; halyna.
                "package_reached": {sumy: 3, konotop: 1},
                # anna, gleb, vira; anna.
                "hiv_tested": {sumy: 3, konotop: 1},
                "syringes": {sumy: 52, konotop: 4},
                "needles": {sumy: 10, konotop: 10},
                "syringes_returned": {sumy: 33},
                "syringes_returned.rate": {sumy: 33 / 52},
                "naloxone": {sumy: 3, konotop: 2},
                "naloxone.recipients": {sumy: 2},
                # 10 + 5 + 2 + 5 + 5; 10 + 3 + 3.
                "condoms": {sumy: 27, konotop: 16},
                # gleb, ivan; dana, fedir.
                "referrals": {sumy: 2, konotop: 2},
                "referrals.completed": {sumy: 2, konotop: 1},
                # 02-20, 03-08; 03-15, 03-28.
                "overdoses": {sumy: 2, konotop: 2},
                "overdoses.recovered": {sumy: 1, konotop: 1},
                "overdoses.hospital": {sumy: 1},
                "overdoses.pending": {konotop: 1},
                "overdoses.naloxone_doses": {sumy: 3},
                # The cohort came to Sumy; of them only gleb came back there.
                "continuity.cohort": {sumy: 3},
                "continuity.kept": {sumy: 1},
                "continuity": {sumy: 1 / 3},
            },
        )

    def test_split_by_organisation(self) -> None:
        """SPEC §3.3 organisation: two organisations' scope, each cell its own."""
        report = self.report(d.ORG, org_ids=[self.org.pk, self.other_org.pk])
        first, second = (str(self.org.pk),), (str(self.other_org.pk),)
        self.assertEqual(
            {key: value for key, value in totals(report).items() if value != TOTALS[key]},
            # zoya adds a contact, a client, a new client and 2 condoms.
            {"contacts": 17, "clients_reached": 9, "clients_new": 6, "condoms": 45},
        )
        self.assert_split_only(report, {"syringes_per_pwid"})
        self.assert_cells(
            report,
            {
                "contacts": {first: 16, second: 1},
                "clients_reached": {first: 8, second: 1},
                "clients_new": {first: 5, second: 1},
                # zoya had no syringe and no counselling.
                "package_reached": {first: 4},
                "condoms": {first: 43, second: 2},
                "referrals": {first: 4},
                "overdoses": {first: 4},
                "continuity.cohort": {first: 3},
                "continuity.kept": {first: 2},
            },
        )

    def test_split_by_month_makes_each_month_its_own_period(self) -> None:
        """SPEC §3.3 "never summed across periods": a month counts on its own.

        A client is new in the month of their first contact ever only.
        Continuity has no months (its cohort is before the period): total only.
        """
        report = self.report(d.MONTH)
        self.assert_totals_unchanged(report)
        self.assert_split_only(report, CONTINUITY_MEASURES | {"syringes_per_pwid"})
        feb, mar = (FEB,), (MAR,)
        self.assertEqual(report.keys, [feb, mar])
        self.assert_cells(
            report,
            {
                # P1 P1b P2 P3 P4 P5 P6 P7; P17 P8 P9 P10 P11 P12 P13 P14.
                "contacts": {feb: 8, mar: 8},
                # anna, vira, boris, dana, gleb; gleb, halyna, fedir, ivan,
                # vira, anna, boris.
                "clients_reached": {feb: 5, mar: 7},
                # anna, vira, boris, dana; ivan. anna, vira and boris are not
                # new again in March.
                "clients_new": {feb: 4, mar: 1},
                # anna, gleb; halyna (vira's package spans both months).
                "package_reached": {feb: 2, mar: 1},
                # anna, gleb; vira, anna.
                "hiv_tested": {feb: 2, mar: 2},
                # 10 + 5 + 5 + 10 + 2; 10 + 4 + 10.
                "syringes": {feb: 32, mar: 24},
                "needles": {feb: 10, mar: 10},
                "syringes_returned": {feb: 23, mar: 10},
                "naloxone": {feb: 2, mar: 3},
                # gleb; boris.
                "naloxone.recipients": {feb: 1, mar: 1},
                "condoms": {feb: 27, mar: 16},
                # gleb, dana; fedir, ivan.
                "referrals": {feb: 2, mar: 2},
                "referrals.completed": {feb: 1, mar: 2},
                "overdoses": {feb: 1, mar: 3},
                "overdoses.recovered": {feb: 1, mar: 1},
                "overdoses.hospital": {mar: 1},
                "overdoses.pending": {mar: 1},
                "overdoses.naloxone_doses": {feb: 2, mar: 1},
            },
        )

    def test_split_by_month_takes_the_age_at_the_first_contact_in_each_month(self) -> None:
        """SPEC §3.3 age band, with each month its own period (docs/reports.md).

        boris is 24 at his February contact and 25 at his March one.
        """
        report = self.report(d.MONTH, d.AGE_BAND)
        self.assert_cells(
            report,
            {
                # boris, dana; anna, vira, gleb; gleb, halyna, fedir, ivan,
                # vira, anna and boris.
                "clients_reached": {(FEB, "<25"): 2, (FEB, "25+"): 3, (MAR, "25+"): 7},
            },
        )

    def test_a_client_known_only_by_a_referral_keeps_their_group(self) -> None:
        """SPEC §3.3 group "as recorded", for a client with no contact lately.

        oleh (injects stimulants) was last seen in June 2025, long before the
        cohort's 90 days, and is referred in March without a visit.
        """
        oleh = make_person(
            self.org,
            self.worker,
            "Oleh",
            sex=MALE,
            born=datetime.date(1985, 1, 1),
            groups=["injects_stimulants"],
        )
        visit(self.site, self.worker, oleh, datetime.date(2025, 6, 1), WINDOW)
        refer(self.site, self.worker, oleh, datetime.date(2026, 3, 10), Referral.Target.TB)
        referrals = figures_of(self.report(d.GROUP))["referrals"]
        # gleb, fedir; oleh; dana; ivan. Nobody under "no group recorded".
        self.assertEqual(
            filled(referrals),
            {
                ("injects_opioids",): 2,
                ("injects_stimulants",): 1,
                ("sex_work",): 1,
                ("non_injecting",): 1,
            },
        )

    def test_an_unknown_split_is_refused(self) -> None:
        with self.assertRaisesMessage(ValueError, "unknown splits: ['colour']"):
            self.report(d.SEX, "colour")


class CombinedSplitTests(IndicatorTestCase):
    def test_sex_by_age_band(self) -> None:
        """SPEC §3.3: sex × age band, in that order."""
        report = self.report(d.SEX, d.AGE_BAND)
        self.assert_totals_unchanged(report)
        self.assert_split_only(report, OVERDOSE_MEASURES | {"syringes_per_pwid"})
        none = (NOT_RECORDED, NOT_RECORDED)
        young_man, man, young_woman, woman, other = (
            (MALE, "<25"),  # boris
            (MALE, "25+"),  # gleb, ivan (and egor in the cohort)
            (FEMALE, "<25"),  # dana
            (FEMALE, "25+"),  # anna, vira, halyna
            (OTHER, "25+"),  # fedir
        )
        # Values sort as text: "25+" before "<25".
        self.assertEqual(report.keys, [none, man, young_man, woman, young_woman, other])
        self.assert_cells(
            report,
            {
                # 2; boris 2; gleb 2 + ivan 1; dana 1; anna 4 + vira 2 + halyna 1; 1.
                "contacts": {
                    none: 2,
                    young_man: 2,
                    man: 3,
                    young_woman: 1,
                    woman: 7,
                    other: 1,
                },
                "clients_reached": {young_man: 1, man: 2, young_woman: 1, woman: 3, other: 1},
                # boris; ivan; dana; anna, vira.
                "clients_new": {young_man: 1, man: 1, young_woman: 1, woman: 2},
                # gleb; anna, vira, halyna.
                "package_reached": {man: 1, woman: 3},
                # gleb; anna, vira.
                "hiv_tested": {man: 1, woman: 2},
                # 5; boris 10; gleb 12 + ivan 10; anna 10 + vira 5; fedir 4.
                "syringes": {none: 5, young_man: 10, man: 22, woman: 15, other: 4},
                # gleb, ivan; dana; fedir.
                "referrals": {man: 2, young_woman: 1, other: 1},
                # gleb, egor; halyna.
                "continuity.cohort": {man: 2, woman: 1},
                "continuity.kept": {man: 1, woman: 1},
            },
        )

    def test_month_by_channel(self) -> None:
        """SPEC §3.3: month × channel; continuity, referrals, overdoses total only."""
        report = self.report(d.MONTH, d.CHANNEL)
        self.assert_totals_unchanged(report)
        self.assert_split_only(
            report,
            OVERDOSE_MEASURES | REFERRAL_MEASURES | CONTINUITY_MEASURES | {"syringes_per_pwid"},
        )
        self.assertEqual(
            report.keys,
            [
                (FEB, OUTREACH),
                (FEB, ROOM),
                (FEB, WINDOW),
                (MAR, BUS),
                (MAR, OUTREACH),
                (MAR, ROOM),
                (MAR, WINDOW),
            ],
        )
        self.assert_cells(
            report,
            {
                # P5; P7; P1 P1b P2 P3 P4 P6; P8 P9 P13; P11 P12; P14; P17 P10.
                "contacts": {
                    (FEB, OUTREACH): 1,
                    (FEB, ROOM): 1,
                    (FEB, WINDOW): 6,
                    (MAR, BUS): 3,
                    (MAR, OUTREACH): 2,
                    (MAR, ROOM): 1,
                    (MAR, WINDOW): 2,
                },
                # dana; gleb; anna, vira, boris; halyna, fedir, anna; vira;
                # boris; gleb, ivan.
                "clients_reached": {
                    (FEB, OUTREACH): 1,
                    (FEB, ROOM): 1,
                    (FEB, WINDOW): 3,
                    (MAR, BUS): 3,
                    (MAR, OUTREACH): 1,
                    (MAR, ROOM): 1,
                    (MAR, WINDOW): 2,
                },
                # dana; anna, vira, boris; ivan.
                "clients_new": {(FEB, OUTREACH): 1, (FEB, WINDOW): 3, (MAR, WINDOW): 1},
                # gleb; anna; halyna.
                "package_reached": {(FEB, ROOM): 1, (FEB, WINDOW): 1, (MAR, BUS): 1},
                # gleb; anna; anna; vira (reported in March, self-test of a
                # window visit).
                "hiv_tested": {
                    (FEB, ROOM): 1,
                    (FEB, WINDOW): 1,
                    (MAR, BUS): 1,
                    (MAR, WINDOW): 1,
                },
                # 2; 10 + 5 + 5 + 10; 4; 10 + 10.
                "syringes": {(FEB, ROOM): 2, (FEB, WINDOW): 30, (MAR, BUS): 4, (MAR, WINDOW): 20},
            },
        )


class EventSplitTests(IndicatorTestCase):
    """Tests, referrals and overdoses in the cells, each counted where it belongs."""

    def test_a_tested_client_counts_in_each_group_at_the_age_of_each_month(self) -> None:
        """SPEC §3.3: boris (two groups) tested in March, when 25, first seen at 24.

        Split by month, his age is the one on his first contact in March
        (03-25, 25); over the whole period, on his first contact in it
        (02-10, 24). Either way he counts once in each of his groups.
        """
        rapid_test(
            self.site, self.worker, self.boris, datetime.date(2026, 3, 25), result=Result.REACTIVE
        )
        by_month = self.report(d.MONTH, d.GROUP, d.AGE_BAND)
        tested = figures_of(by_month)["hiv_tested"]
        # anna, gleb, vira and boris: 4 clients in 5 cells.
        self.assertEqual(tested.total, 4)
        self.assertEqual(
            filled(tested),
            {
                # anna (02-17), gleb (02-20).
                (FEB, "injects_opioids", "25+"): 2,
                # anna (03-16); vira (03-12); boris twice.
                (MAR, "injects_opioids", "25+"): 1,
                (MAR, "none", "25+"): 1,
                (MAR, "injects_stimulants", "25+"): 1,
                (MAR, "chemsex", "25+"): 1,
            },
        )
        whole_period = figures_of(self.report(d.GROUP, d.AGE_BAND))["hiv_tested"]
        self.assertEqual(whole_period.total, 4)
        self.assertEqual(
            filled(whole_period),
            {
                ("injects_opioids", "25+"): 2,
                ("none", "25+"): 1,
                ("injects_stimulants", "<25"): 1,
                ("chemsex", "<25"): 1,
            },
        )

    def test_a_client_without_a_contact_in_the_period_is_aged_on_each_event_day(self) -> None:
        """SPEC §3.3 age band, for petro (born 2001-03-05), not seen in the period.

        Handed a self-test in January, he is referred on 02-25 (at 24) and
        reports his result on 03-10 (at 25), with no visit: each counts at
        the age on its own day, in both of his groups.
        """
        petro = make_person(
            self.org,
            self.worker,
            "Petro",
            sex=MALE,
            born=datetime.date(2001, 3, 5),
            groups=["injects_opioids", "sex_work"],
        )
        self_test = item(self.org, "HIV saliva self-test")
        visit(
            self.site,
            self.worker,
            petro,
            datetime.date(2026, 1, 20),
            WINDOW,
            items=[(self_test, 1)],
        )
        refer(self.site, self.worker, petro, datetime.date(2026, 2, 25), Referral.Target.TB)
        report_self_test(
            self.site, self.worker, petro, datetime.date(2026, 3, 10), result=Result.NON_REACTIVE
        )
        report = self.report(d.MONTH, d.GROUP, d.AGE_BAND)
        self.assertEqual(
            {measure: figures_of(report)[measure].total for measure in REFERRAL_MEASURES},
            # gleb, dana, fedir, ivan and petro; gleb, fedir and ivan.
            {"referrals": 5, "referrals.completed": 3},
        )
        self.assert_cells(
            report,
            {
                # anna, gleb; anna, petro; vira; petro.
                "hiv_tested": {
                    (FEB, "injects_opioids", "25+"): 2,
                    (MAR, "injects_opioids", "25+"): 2,
                    (MAR, "none", "25+"): 1,
                    (MAR, "sex_work", "25+"): 1,
                },
                # gleb; petro; dana, petro; fedir; ivan.
                "referrals": {
                    (FEB, "injects_opioids", "25+"): 1,
                    (FEB, "injects_opioids", "<25"): 1,
                    (FEB, "sex_work", "<25"): 2,
                    (MAR, "injects_opioids", "25+"): 1,
                    (MAR, "non_injecting", "25+"): 1,
                },
                # gleb; fedir; ivan.
                "referrals.completed": {
                    (FEB, "injects_opioids", "25+"): 1,
                    (MAR, "injects_opioids", "25+"): 1,
                    (MAR, "non_injecting", "25+"): 1,
                },
            },
        )
        by_age = self.report(d.AGE_BAND)
        self.assert_cells(
            by_age,
            {
                # anna, vira, gleb, petro (on 03-10).
                "hiv_tested": {("25+",): 4},
                # dana, petro (on 02-25); gleb, fedir, ivan.
                "referrals": {("<25",): 2, ("25+",): 3},
            },
        )

    def test_referrals_split_by_channel_give_a_total_and_add_no_cell(self) -> None:
        """SPEC §3.3: a referral has no channel; tests take their contact's."""
        report = self.report(d.CHANNEL, d.SEX)
        figures = figures_of(report)
        for measure, total in (("referrals", 4), ("referrals.completed", 3)):
            with self.subTest(measure=measure):
                self.assertIs(figures[measure].split, False)
                self.assertEqual((figures[measure].total, figures[measure].cells), (total, {}))
        # No cell without a channel, as referrals would make.
        self.assertNotIn(NOT_RECORDED, {channel for channel, _ in report.keys})
        self.assert_cells(
            report,
            # anna (P6), vira (her self-test of P3); anna (P13); gleb (P7).
            {"hiv_tested": {(WINDOW, FEMALE): 2, (BUS, FEMALE): 1, (ROOM, MALE): 1}},
        )

    def test_overdoses_split_by_site_and_month(self) -> None:
        """SPEC §3.3: place and time together; each incident in one cell."""
        report = self.report(d.SITE, d.MONTH)
        sumy, konotop = self.sumy, self.konotop
        self.assert_cells(
            report,
            {
                # S 02-20; S 03-08; K 03-15, 03-28.
                "overdoses": {(sumy, FEB): 1, (sumy, MAR): 1, (konotop, MAR): 2},
                "overdoses.recovered": {(sumy, FEB): 1, (konotop, MAR): 1},
                "overdoses.hospital": {(sumy, MAR): 1},
                "overdoses.pending": {(konotop, MAR): 1},
                "overdoses.naloxone_doses": {(sumy, FEB): 2, (sumy, MAR): 1},
            },
        )
        self.assertEqual(figures_of(report)["overdoses"].total, 4)


class DistinctCountTests(IndicatorTestCase):
    def test_a_distinct_count_is_never_summed_across_channels(self) -> None:
        """SPEC §3.3: a client seen on two channels counts once in each and once in all.

        vira came to the window (P3) and met outreach (P11): one client in
        the total, one in each channel's cell, so the cells add up to more.
        """
        reached = figures_of(self.report(d.CHANNEL))["clients_reached"]
        self.assertEqual(reached.total, 8)
        self.assertEqual(reached.cells[(WINDOW,)], 5)
        self.assertEqual(reached.cells[(OUTREACH,)], 2)
        # 5 + 2 (gleb, boris) + 2 + 3 (halyna, fedir, anna) = 12 > 8: anna,
        # vira, gleb and boris each count in two channels.
        self.assertEqual(sum(v for v in reached.cells.values() if isinstance(v, int)), 12)

    def test_one_client_on_two_channels_is_one_client_in_each_cell_and_in_all(self) -> None:
        """SPEC §3.3, with vira alone on outreach: Sumy, 2026-02-05..03-12."""
        report = compute_report(
            scope_of([self.org.pk], [self.site.pk]),
            Period(datetime.date(2026, 2, 5), datetime.date(2026, 3, 12)),
            [d.CHANNEL],
        )
        reached = figures_of(report)["clients_reached"]
        # vira (P3 window, P11 outreach), boris, anna, gleb (P7 room, P17
        # window), ivan: 5 clients.
        self.assertEqual(reached.total, 5)
        # vira, boris, anna, gleb, ivan; gleb; vira.
        self.assertEqual(reached.cells, {(OUTREACH,): 1, (ROOM,): 1, (WINDOW,): 5})
        self.assertGreater(sum(v for v in reached.cells.values() if isinstance(v, int)), 5)

    def test_a_package_is_met_within_a_cell_never_across_cells(self) -> None:
        """SPEC §3.2 with §3.3: vira's package, met in the total, in no channel."""
        package = figures_of(self.report(d.CHANNEL))["package_reached"]
        self.assertEqual(package.total, 4)
        # anna (window), gleb (room), halyna (bus): vira is in none.
        self.assertEqual(sum(v for v in package.cells.values() if isinstance(v, int)), 3)

    def test_a_distinct_count_is_never_summed_across_months(self) -> None:
        """SPEC §3.3: 5 in February and 7 in March are 8 clients, not 12."""
        by_month = figures_of(self.report(d.MONTH))["clients_reached"]
        self.assertEqual((by_month.cells[(FEB,)], by_month.cells[(MAR,)]), (5, 7))
        self.assertEqual(by_month.total, 8)


class SmallNumbersTests(IndicatorTestCase):
    """SPEC §3.4: outside the organisation, counts from 1 to 9 show as <10."""

    def test_counts_from_one_to_nine_are_hidden_outside_only(self) -> None:
        report = self.report(d.SEX)
        figures = figures_of(report)
        reached, died = figures["clients_reached"], figures["overdoses.died"]
        # 8 clients: hidden outside, shown inside.
        self.assertEqual(shown(reached, TOTAL, outside=True), SMALL)
        self.assertEqual(shown(reached, TOTAL, outside=False), 8)
        # fedir alone in his cell; no anonymous client.
        self.assertEqual(shown(reached, (OTHER,), outside=True), SMALL)
        self.assertEqual(shown(reached, (NOT_RECORDED,), outside=True), 0)
        # 16 contacts and no death are shown as they are.
        self.assertEqual(shown(figures["contacts"], TOTAL, outside=True), 16)
        self.assertEqual(shown(died, TOTAL, outside=True), 0)
        # Exactly 10 returned by women (anna): shown.
        self.assertEqual(shown(figures["syringes_returned"], (FEMALE,), outside=True), 10)

    def test_the_edges_are_one_nine_and_ten(self) -> None:
        measure = d.MEASURES_BY_ID["contacts"]
        for count, expected in ((0, 0), (1, SMALL), (9, SMALL), (10, 10), (11, 11)):
            with self.subTest(count=count):
                figure = Figure(measure, split=False, total=count)
                self.assertEqual(shown(figure, TOTAL, outside=True), expected)

    def test_a_ratio_over_a_count_from_one_to_nine_is_hidden(self) -> None:
        """The small count could be worked back from the ratio and the other one."""
        figures = figures_of(self.report())
        # 33 / 56: both counts 10 or more.
        self.assertEqual(shown(figures["syringes_returned.rate"], TOTAL, outside=True), 0.5893)
        # 2 kept of 3: hidden outside, 0.6667 inside.
        self.assertIsNone(shown(figures["continuity"], TOTAL, outside=True))
        self.assertEqual(shown(figures["continuity"], TOTAL, outside=False), 0.6667)
        # 112 syringes, 40 people.
        self.assertEqual(shown(figures["syringes_per_pwid"], TOTAL, outside=True), 2.8)

    def test_the_json_for_outside_hides_small_counts_in_totals_and_cells(self) -> None:
        data = as_json(self.report(d.SEX), outside=True)
        self.assertIs(data["small_numbers_hidden"], True)
        indicators = data["indicators"]
        assert isinstance(indicators, list)
        by_id = {entry["id"]: entry for entry in indicators}
        reached = by_id["clients_reached"]
        self.assertEqual(reached["total"], SMALL)
        self.assertEqual(
            reached["cells"],
            [
                {"sex": NOT_RECORDED, "value": 0},
                {"sex": MALE, "value": SMALL},
                {"sex": FEMALE, "value": SMALL},
                {"sex": OTHER, "value": SMALL},
            ],
        )
        self.assertEqual(by_id["contacts"]["total"], 16)
        self.assertIsNone(by_id["continuity"]["total"])
        self.assertEqual(by_id["overdoses"]["split"], False)
        self.assertEqual(by_id["overdoses"]["cells"], [])


# Package rules (2), contacts, tests and referrals, overdoses, continuity,
# syringes per person (2): the queries of a report without splits.
NO_SPLIT = 8


class QueryCountTests(IndicatorTestCase):
    def test_a_report_takes_a_number_of_queries_set_by_its_splits_alone(self) -> None:
        """Docs: a fixed number of queries, whatever the data.

        Without splits, one statement gives the contact measures, one the
        tests and referrals, and one continuity; with splits, each has a
        second for the cells (continuity none when split by month).
        Overdoses take one statement either way.
        """
        cases = [
            ((), NO_SPLIT),
            ((d.SEX,), NO_SPLIT + 3),
            ((d.MONTH, d.CHANNEL), NO_SPLIT + 2),
            ((d.SEX, d.AGE_BAND, d.SITE, d.ORG), NO_SPLIT + 3),
            ((d.GROUP,), NO_SPLIT + 3),
            ((d.SEX, d.AGE_BAND, d.GROUP, d.CHANNEL, d.SITE, d.MONTH), NO_SPLIT + 2),
            (d.DIMENSIONS, NO_SPLIT + 2),
            ((d.SITE, d.MONTH), NO_SPLIT + 2),
        ]
        for by, queries in cases:
            with self.subTest(by=by), self.assertNumQueries(queries):
                self.report(*by)

    def test_more_data_and_a_longer_period_take_no_more_queries(self) -> None:
        year = Period(datetime.date(2025, 4, 1), PERIOD.last)
        with self.assertNumQueries(NO_SPLIT + 2):
            compute_report(scope_of([self.org.pk, self.other_org.pk]), year, d.DIMENSIONS)


class MeasureChoiceTests(IndicatorTestCase):
    """A report of some measures only gives each of them as the full report does."""

    CHOICES = (
        ("clients_reached",),
        ("package_reached", "syringes_returned.rate"),
        ("hiv_tested", "referrals.completed"),
        ("overdoses", "continuity"),
        ("syringes_per_pwid",),
    )

    def test_each_measure_chosen_equals_its_figure_in_the_full_report(self) -> None:
        both = [self.org.pk, self.other_org.pk]
        for by in [(), (d.SEX,), (d.MONTH, d.ORG, d.SEX, d.AGE_BAND), (d.GROUP, d.SITE)]:
            full = figures_of(compute_report(scope_of(both), PERIOD, by))
            for chosen in self.CHOICES:
                with self.subTest(by=by, chosen=chosen):
                    report = compute_report(scope_of(both), PERIOD, by, chosen)
                    self.assertEqual([f.measure.id for f in report.figures], list(chosen))
                    for figure in report.figures:
                        expected = full[figure.measure.id]
                        self.assertEqual(figure.total, expected.total)
                        self.assertEqual(filled(figure), filled(expected))
                        self.assertEqual(counted(figure.basis), counted(expected.basis))

    def test_clients_reached_alone_takes_one_statement_per_set_of_splits(self) -> None:
        with self.assertNumQueries(1):
            compute_report(scope_of([self.org.pk]), PERIOD, (), ["clients_reached"])
        with self.assertNumQueries(2):
            compute_report(scope_of([self.org.pk]), PERIOD, (d.MONTH,), ["clients_reached"])

    def test_an_unknown_measure_is_refused(self) -> None:
        with self.assertRaises(ValueError):
            compute_report(scope_of([self.org.pk]), PERIOD, (), ["clients_reachd"])


def counted(basis: Mapping[Key, tuple[int, int]]) -> dict[Key, tuple[int, int]]:
    """The bases of a ratio's cells, without the cells of nothing over nothing."""
    return {key: pair for key, pair in basis.items() if pair != (0, 0)}
