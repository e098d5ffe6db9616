"""SPEC §3.1 continuity and overdoses, against datasets worked out by hand."""

import datetime
import zoneinfo

from outpost.catalogue.models import Item
from outpost.clients.models import Client
from outpost.contacts.models import Contact
from outpost.core.choices import Channel
from outpost.core.tests.base import BaseTestCase, make_site
from outpost.orgs.models import Site
from outpost.room.indicators import continuity, overdose_counts
from outpost.room.models import OverdoseIncident
from outpost.room.tests.factories import more_clients

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


class ContinuityTests(BaseTestCase):
    """SPEC §3.1: of the clients with a contact in the 90 days before the
    period starts (the cohort), the share with a contact in the period.

    The period is March 2026. The cohort window is the 90 days before 1 March:
    1 March - 90 days = 1 December 2025, and 1 Dec to 28 Feb holds
    31 (Dec) + 31 (Jan) + 28 (Feb) = 90 days.

    | client | contacts (site: Sumy room unless noted)      | cohort | kept  |
    | anna   | 10 Feb, 5 Mar                                | yes    | yes   |
    | boris  | 1 Dec (first day of the window), 31 Mar      | yes    | yes   |
    | clara  | 30 Nov (a day too early), 10 Mar             | no     | —     |
    | dmytro | 28 Feb (last day of the window)              | yes    | no    |
    | eva    | 15 Jan; 15 Mar at the bus                    | yes    | bus   |
    | fedir  | 1 Feb, 1 Apr (after the period)              | yes    | no    |
    | galyna | 1 Mar only (new in the period)               | no     | —     |
    | hanna  | 5 Jan, 6 Jan, 2 Mar, 3 Mar (twice each)      | yes    | yes   |
    | —      | anonymous on 3 Feb and 3 Mar                 | no     | —     |
    | olga   | another organisation's site, 10 Feb, 5 Mar   | no     | —     |

    At the room:
      cohort = anna, boris, dmytro, eva, fedir, hanna = 6
      kept   = anna, boris, hanna                     = 3
      share  = 3 / 6 = 0.5
    Room and bus together (eva's bus visit is in the period, not the window):
      cohort = the same 6
      kept   = anna, boris, eva, hanna = 4
      share  = 4 / 6 = 2/3
    """

    bus: Site

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.bus = make_site(cls.org, "Bus", kind=Site.Kind.MOBILE_UNIT)
        boris, clara, dmytro, eva, fedir, galyna, hanna = more_clients(cls.org, cls.worker, 7)
        olga = more_clients(cls.other_org, cls.outsider, 1)[0]
        visits: list[tuple[Client | None, str, Site]] = [
            (cls.anna, "2026-02-10", cls.site),
            (cls.anna, "2026-03-05", cls.site),
            (boris, "2025-12-01", cls.site),
            (boris, "2026-03-31", cls.site),
            (clara, "2025-11-30", cls.site),
            (clara, "2026-03-10", cls.site),
            (dmytro, "2026-02-28", cls.site),
            (eva, "2026-01-15", cls.site),
            (eva, "2026-03-15", cls.bus),
            (fedir, "2026-02-01", cls.site),
            (fedir, "2026-04-01", cls.site),
            (galyna, "2026-03-01", cls.site),
            *[(hanna, date, cls.site) for date in ("2026-01-05", "2026-01-06") * 2],
            *[(hanna, date, cls.site) for date in ("2026-03-02", "2026-03-03") * 2],
            (None, "2026-02-03", cls.site),
            (None, "2026-03-03", cls.site),
            (olga, "2026-02-10", cls.other_site),
            (olga, "2026-03-05", cls.other_site),
        ]
        for client, date, site in visits:
            Contact.objects.create(
                org=site.org,
                site=site,
                client=client,
                channel=Channel.WINDOW,
                occurred_at=datetime.datetime.combine(day(date), datetime.time(12), tzinfo=KYIV),
                date=day(date),
                worker=cls.worker,
            )

    def test_at_the_room_three_of_six_usual_clients_were_kept(self) -> None:
        result = continuity(site_ids=[self.site.pk], first=MARCH[0], last=MARCH[1])
        self.assertEqual((result.cohort, result.kept), (6, 3))
        self.assertEqual(result.share, 0.5)

    def test_across_room_and_bus_four_of_six_were_kept(self) -> None:
        result = continuity(site_ids=[self.site.pk, self.bus.pk], first=MARCH[0], last=MARCH[1])
        self.assertEqual((result.cohort, result.kept), (6, 4))
        self.assertEqual(result.share, 4 / 6)

    def test_the_window_moves_with_the_period(self) -> None:
        """Both edges move with the start: for 2–15 March the window is
        2 March - 90 days = 2 December to 1 March.

          cohort = 6 - boris (1 Dec is now a day too early) + galyna (1 Mar)
                 = anna, dmytro, eva, fedir, galyna, hanna = 6
          kept   = anna (5 Mar), hanna (2 and 3 Mar) = 2
        """
        result = continuity(
            site_ids=[self.site.pk], first=day("2026-03-02"), last=day("2026-03-15")
        )
        self.assertEqual((result.cohort, result.kept), (6, 2))

    def test_a_site_with_no_cohort_has_no_share(self) -> None:
        result = continuity(site_ids=[self.bus.pk], first=MARCH[0], last=MARCH[1])
        self.assertEqual((result.cohort, result.kept), (0, 0))
        self.assertIsNone(result.share)


class OverdoseCountTests(BaseTestCase):
    """Three overdoses in March (2 recovered with 1 + 2 doses, 1 to hospital
    with 3), one on 28 February and one at the other organisation."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        naloxone = Item.objects.get(org=cls.org, category__code="naloxone")
        rows = [
            (cls.site, "2026-03-01", "recovered", 1),
            (cls.site, "2026-03-15", "recovered", 2),
            (cls.site, "2026-03-31", "hospital", 3),
            (cls.site, "2026-02-28", "died", 0),
            (cls.other_site, "2026-03-10", "recovered", 0),
        ]
        for site, date, outcome, doses in rows:
            OverdoseIncident.objects.create(
                org_id=site.org_id,
                site=site,
                occurred_at=datetime.datetime.combine(day(date), datetime.time(12), tzinfo=KYIV),
                date=day(date),
                outcome=outcome,
                naloxone_item=naloxone if doses else None,
                naloxone_doses=doses,
                recorded_by=cls.worker,
            )

    def test_march_counts_three_overdoses_by_outcome_and_six_doses(self) -> None:
        counts = overdose_counts(site_ids=[self.site.pk], first=MARCH[0], last=MARCH[1])
        self.assertEqual(counts.incidents, 3)
        self.assertEqual(counts.naloxone_doses, 6)
        self.assertEqual(counts.by_outcome["recovered"], 2)
        self.assertEqual(counts.by_outcome["hospital"], 1)
        self.assertEqual(counts.by_outcome["died"], 0)
