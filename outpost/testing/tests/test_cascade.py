"""The HIV and HCV cascades against a dataset worked out by hand (SPEC §4).

The period is March 2026. Each client below is one line of the hand count;
each test then counts, stage by stage, which letters reach the stage:
tested → reactive → referred → confirmed → linked → ART. "Tested" needs a
reactive or non-reactive result given to the client (SPEC §3.1
``hiv_tested``); a cohort stage needs its event on or after the client's
first reactive result in March and at most 28 or 90 days after it, and the
client must have reached the stage before.

- A: HIV non-reactive 03-05 (and HCV non-reactive 03-05, below).
- B: reactive 03-10, referred 03-10, confirmed 03-20, reached HIV care 03-25, ART 04-20.
- C: reactive 03-28, referred 03-28, confirmed 05-10, reached care 05-15, ART 05-20.
- D: reactive 03-15, result not given to the client: not tested.
- E: invalid 03-12: not tested.
- F: reactive 02-20, referred 02-20; confirmed 03-02, reached care 03-05, ART 03-06.
- G: reactive 03-03 at the van, the organisation's other site; referred there 03-03.
- H: self-test handed out 02-25, non-reactive reported 03-08: tested.
- I: reactive 03-01, referred 03-01, confirmed 03-29 (day 28), reached care
  03-30 (day 29), ART 05-30 (day 90).
- K: reactive 03-12, never referred, confirmed 03-20.
- L: self-test handed out 03-09, no result reported: not tested.
- M: self-test handed out 03-02, reported invalid 03-09: not tested.
- An organisation B client: reactive 03-10, referred 03-10 (never counted for A).

HCV, March:

- A: antibody non-reactive 03-05.
- P: reactive 03-04, referred 03-04, viraemic 03-18, treatment 04-15, cured 07-20.
- R: reactive 03-06, referred 03-06, RNA negative 03-20.
"""

import datetime

from outpost.catalogue.models import Item
from outpost.clients.models import Client
from outpost.contacts.models import ContactItem
from outpost.core.periods import Period
from outpost.core.tests.base import BaseTestCase, make_client, make_site
from outpost.orgs.models import Site
from outpost.testing.cascade import (
    HCV,
    HIV,
    Scope,
    Stage,
    cohort_cascade,
    period_cascade,
)
from outpost.testing.models import Disease, Milestone, Referral, Result, Test
from outpost.testing.tests.factories import (
    make_art_course,
    make_contact,
    make_outcome,
    make_referral,
    make_test,
)

MARCH = Period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
REACTIVE = Result.REACTIVE
CARE = Referral.Target.HIV_CARE


def d(month: int, day: int) -> datetime.date:
    return datetime.date(2026, month, day)


def counts(stages: list[Stage]) -> list[int]:
    return [stage.clients for stage in stages]


class CascadeTestCase(BaseTestCase):
    van: Site

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.van = make_site(cls.org, "Kharkiv van")
        cls.build_hiv()
        cls.build_hcv()

    @classmethod
    def person(cls, name: str) -> Client:
        return make_client(cls.org, cls.worker, mother=name, birth_year=1980 + len(name))

    @classmethod
    def result_on(cls, client: Client, date: datetime.date, **fields: object) -> Test:
        site = fields.pop("site", cls.site)
        assert isinstance(site, Site)
        return make_test(site, client, cls.worker, date, **fields)  # type: ignore[arg-type]  # test data

    @classmethod
    def pathway(
        cls,
        client: Client,
        tested: datetime.date,
        confirmed: datetime.date | None,
        linked: datetime.date | None,
        art: datetime.date | None,
    ) -> None:
        """A reactive HIV result, a referral the same day, and what followed."""
        site, worker = cls.site, cls.worker
        cls.result_on(client, tested, result=REACTIVE)
        make_referral(site, client, worker, tested)
        if confirmed is not None:
            make_outcome(site, client, worker, Milestone.Kind.HIV_CONFIRMED, confirmed)
        if linked is not None:
            make_referral(site, client, worker, linked, target=CARE, completed_on=linked)
        if art is not None:
            make_art_course(site, client, worker, art)

    @classmethod
    def build_hiv(cls) -> None:
        site, worker = cls.site, cls.worker
        cls.result_on(cls.person("Alla"), d(3, 5))
        cls.pathway(cls.person("Bohdana"), d(3, 10), d(3, 20), d(3, 25), d(4, 20))
        cls.pathway(cls.person("Cvitana"), d(3, 28), d(5, 10), d(5, 15), d(5, 20))
        cls.result_on(cls.person("Daryna"), d(3, 15), result=REACTIVE, given=False)
        cls.result_on(cls.person("Emiliia"), d(3, 12), result=Result.INVALID)
        fedora = cls.person("Fedora")
        cls.result_on(fedora, d(2, 20), result=REACTIVE)
        make_referral(site, fedora, worker, d(2, 20))
        make_outcome(site, fedora, worker, Milestone.Kind.HIV_CONFIRMED, d(3, 2))
        make_referral(site, fedora, worker, d(3, 2), target=CARE, completed_on=d(3, 5))
        make_art_course(site, fedora, worker, d(3, 6))
        galyna = cls.person("Galyna")
        cls.result_on(galyna, d(3, 3), result=REACTIVE, site=cls.van)
        make_referral(cls.van, galyna, worker, d(3, 3))
        cls.self_test(cls.person("Hanna"), d(2, 25), reported=(d(3, 8), Result.NON_REACTIVE))
        cls.pathway(cls.person("Iryna"), d(3, 1), d(3, 29), d(3, 30), d(5, 30))
        kateryna = cls.person("Kateryna")
        cls.result_on(kateryna, d(3, 12), result=REACTIVE)
        make_outcome(site, kateryna, worker, Milestone.Kind.HIV_CONFIRMED, d(3, 20))
        cls.self_test(cls.person("Liudmyla"), d(3, 9), reported=None)
        cls.self_test(cls.person("Mariia"), d(3, 2), reported=(d(3, 9), Result.INVALID))
        foreign = make_client(cls.other_org, cls.outsider, mother="Lesia")
        make_test(cls.other_site, foreign, cls.outsider, d(3, 10), result=REACTIVE)
        make_referral(cls.other_site, foreign, cls.outsider, d(3, 10))

    @classmethod
    def self_test(
        cls,
        client: Client,
        handed_out: datetime.date,
        *,
        reported: tuple[datetime.date, str] | None,
    ) -> None:
        """A self-test handed out and, if ``reported``, the (date, result) reported."""
        kit = Item.objects.get(org=cls.org, category__code="hiv_self_test")
        contact = make_contact(cls.site, client, cls.worker, handed_out)
        handout = ContactItem.objects.create(contact=contact, item=kit, quantity=1)
        if reported is None:
            return
        reported_on, result = reported
        Test.objects.create(
            org=cls.org,
            site=cls.site,
            client=client,
            contact=contact,
            disease=Disease.HIV,
            method=Test.Method.SELF_TEST,
            kit=kit,
            handout=handout,
            result=result,
            result_given=True,
            tested_on=reported_on,
            recorded_by=cls.worker,
        )

    @classmethod
    def build_hcv(cls) -> None:
        site, worker = cls.site, cls.worker
        hcv = {"disease": Disease.HCV}
        polina = cls.person("Polina")
        cls.result_on(polina, d(3, 4), result=REACTIVE, **hcv)
        make_referral(site, polina, worker, d(3, 4), disease=Disease.HCV)
        make_outcome(site, polina, worker, Milestone.Kind.HCV_VIRAEMIC, d(3, 18))
        make_outcome(site, polina, worker, Milestone.Kind.HCV_TREATMENT_STARTED, d(4, 15))
        make_outcome(site, polina, worker, Milestone.Kind.HCV_CURED, d(7, 20))
        rostyslava = cls.person("Rostyslava")
        cls.result_on(rostyslava, d(3, 6), result=REACTIVE, **hcv)
        make_referral(site, rostyslava, worker, d(3, 6), disease=Disease.HCV)
        make_outcome(site, rostyslava, worker, Milestone.Kind.HCV_NOT_VIRAEMIC, d(3, 20))
        cls.result_on(Client.objects.get(org=cls.org, mother_part="AL"), d(3, 5), **hcv)


class HivCascadeTests(CascadeTestCase):
    def test_the_period_cascade_counts_each_stage_s_events_in_march(self) -> None:
        """Later stages include F, tested in February; D, E, L, M and org B never count."""
        scope = Scope(org_id=self.org.pk)
        # tested:    A B C G H I K      = 7 (D not given, E and M invalid,
        #                                    L no result, F in February)
        # reactive:  B C G I K          = 5
        # referred:  B C G I            = 4 (F's referral is in February)
        # confirmed: B F I K            = 4 (C's is in May)
        # linked:    B F I              = 3 (C's is in May)
        # ART:       F                  = 1 (B April, C and I May)
        self.assertEqual(counts(period_cascade(HIV, scope, MARCH)), [7, 5, 4, 4, 3, 1])

    def test_the_period_cascade_of_one_site_leaves_out_the_other_site(self) -> None:
        scope = Scope(org_id=self.org.pk, site_id=self.site.pk)
        # As the whole organisation, less G (tested and referred at the van):
        # tested 7 - 1 = 6, reactive 5 - 1 = 4, referred 4 - 1 = 3, the rest unchanged.
        self.assertEqual(counts(period_cascade(HIV, scope, MARCH)), [6, 4, 3, 4, 3, 1])

    def test_the_28_day_cohort_follows_march_s_clients_to_day_28_included(self) -> None:
        """I confirmed on day 28 counts, I linked on day 29 does not; K was never referred."""
        scope = Scope(org_id=self.org.pk)
        # Cohort, tested in March: A B C G H I K = 7.
        # reactive in March, with the window [first reactive, +28 days]:
        #   B 03-10..04-07, C 03-28..04-25, G 03-03..03-31, I 03-01..03-29,
        #   K 03-12..04-09                                     = 5
        # referred within the window:  B 03-10, C 03-28, G 03-03, I 03-01 = 4 (K never)
        # confirmed, of those:         B 03-20, I 03-29 (day 28)          = 2
        #                              (C 05-10 too late, G none)
        # linked, of those:            B 03-25                            = 1
        #                              (I 03-30 is day 29)
        # ART, of those:               none (B 04-20 is day 41)           = 0
        self.assertEqual(counts(cohort_cascade(HIV, scope, MARCH, 28)), [7, 5, 4, 2, 1, 0])

    def test_the_90_day_cohort_reaches_art_started_by_day_90(self) -> None:
        scope = Scope(org_id=self.org.pk)
        # Windows: B 03-10..06-08, C 03-28..06-26, G 03-03..06-01, I 03-01..05-30.
        # tested 7, reactive 5, referred 4 (B C G I), as for 28 days.
        # confirmed: B 03-20, C 05-10, I 03-29                = 3 (G none)
        # linked:    B 03-25, C 05-15, I 03-30                = 3
        # ART:       B 04-20, C 05-20, I 05-30 (day 90)       = 3
        self.assertEqual(counts(cohort_cascade(HIV, scope, MARCH, 90)), [7, 5, 4, 3, 3, 3])

    def test_a_site_s_cohort_is_its_own_clients_followed_across_the_organisation(self) -> None:
        scope = Scope(org_id=self.org.pk, site_id=self.site.pk)
        # The 28-day cohort without G, who was tested at the van:
        # tested A B C H I K = 6, reactive B C I K = 4, referred B C I = 3,
        # confirmed B I = 2, linked B = 1, ART 0.
        self.assertEqual(counts(cohort_cascade(HIV, scope, MARCH, 28)), [6, 4, 3, 2, 1, 0])

    def test_a_cohort_does_not_follow_clients_tested_before_the_period(self) -> None:
        """I (tested 03-01) and F (February) have later stages inside the period."""
        scope = Scope(org_id=self.org.pk)
        cohort = cohort_cascade(HIV, scope, Period(d(3, 2), d(3, 31)), 90)
        # Tested 03-02..03-31: A B C G H K = 6. I's confirmation (03-29),
        # care (03-30) and F's confirmation, care and ART (03-02..03-06)
        # fall in the period but neither client is in the cohort.
        # reactive B C G K = 4, referred B C G = 3, confirmed B C = 2,
        # linked B C = 2, ART B C = 2.
        self.assertEqual(counts(cohort), [6, 4, 3, 2, 2, 2])

    def test_stages_come_in_the_cascade_s_order(self) -> None:
        stages = period_cascade(HIV, Scope(org_id=self.org.pk), MARCH)
        self.assertEqual(
            [stage.code for stage in stages],
            ["tested", "reactive", "referred", "confirmed", "linked", "art"],
        )

    def test_another_organisation_sees_only_its_own_client(self) -> None:
        scope = Scope(org_id=self.other_org.pk)
        # Its one client: tested, reactive and referred on 03-10.
        self.assertEqual(counts(period_cascade(HIV, scope, MARCH)), [1, 1, 1, 0, 0, 0])


class HcvCascadeTests(CascadeTestCase):
    def test_the_period_cascade_counts_rna_tests_of_either_result(self) -> None:
        scope = Scope(org_id=self.org.pk)
        # tested A P R = 3, reactive P R = 2, referred P R = 2,
        # RNA tested P (viraemic) R (negative) = 2, viraemic P = 1,
        # treatment (P 04-15) and cure (P 07-20) fall after March = 0, 0.
        self.assertEqual(counts(period_cascade(HCV, scope, MARCH)), [3, 2, 2, 2, 1, 0, 0])

    def test_the_28_day_cohort_stops_before_treatment(self) -> None:
        scope = Scope(org_id=self.org.pk)
        # Windows: P 03-04..04-01, R 03-06..04-03.
        # tested 3, reactive 2, referred 2, RNA tested P 03-18 R 03-20 = 2,
        # viraemic P = 1, treatment P 04-15 is day 42 = 0, cure 0.
        self.assertEqual(counts(cohort_cascade(HCV, scope, MARCH, 28)), [3, 2, 2, 2, 1, 0, 0])

    def test_the_90_day_cohort_reaches_treatment_but_not_the_cure_in_july(self) -> None:
        scope = Scope(org_id=self.org.pk)
        # P's window 03-04..06-02: treatment 04-15 counts = 1; cure 07-20
        # is day 138 = 0.
        self.assertEqual(counts(cohort_cascade(HCV, scope, MARCH, 90)), [3, 2, 2, 2, 1, 1, 0])
