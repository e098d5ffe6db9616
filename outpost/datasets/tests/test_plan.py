import datetime
from random import Random

from django.test import SimpleTestCase

from outpost.datasets import plan
from outpost.datasets.days import Days
from outpost.datasets.progress import Progress, duration


class PlanTests(SimpleTestCase):
    def test_the_national_scale_has_the_benchmark_counts(self) -> None:
        national = plan.SCALES["L"]
        self.assertEqual(
            (national.organisations, national.sites, national.clients, national.contacts),
            (40, 300, 500_000, 12_000_000),
        )
        self.assertGreaterEqual(national.days, 5 * 365)

    def test_the_last_days_of_a_month_weigh_more_than_mid_month(self) -> None:
        month_end = plan.day_weight(datetime.date(2025, 4, 30))  # a Wednesday
        mid_month = plan.day_weight(datetime.date(2025, 4, 16))  # a Wednesday
        self.assertEqual(month_end, mid_month * plan.MONTH_END_FACTOR)

    def test_weekends_are_quieter_than_weekdays(self) -> None:
        sunday, monday = datetime.date(2025, 4, 13), datetime.date(2025, 4, 14)
        self.assertLess(plan.day_weight(sunday), plan.day_weight(monday))

    def test_zipf_shares_fall_with_rank_and_add_up_to_one(self) -> None:
        shares = plan.zipf_weights(10, 1.0)
        self.assertAlmostEqual(sum(shares), 1.0)
        self.assertEqual(shares, sorted(shares, reverse=True))
        self.assertAlmostEqual(shares[0] / shares[9], 10.0)

    def test_split_by_weight_adds_up_and_gives_each_the_least(self) -> None:
        counts = plan.split_by_weight(300, plan.zipf_weights(40, 0.9), least=1)
        self.assertEqual(sum(counts), 300)
        self.assertEqual(min(counts), counts[-1])
        self.assertGreaterEqual(min(counts), 1)

    def test_weighted_draws_follow_their_weights(self) -> None:
        coin = plan.Weighted({"heads": 3.0, "tails": 1.0})
        rng = Random(1)
        heads = sum(coin.draw(rng) == "heads" for _ in range(4000))
        self.assertAlmostEqual(heads / 4000, 0.75, delta=0.03)


class DaysTests(SimpleTestCase):
    def test_times_are_utc_on_the_local_date(self) -> None:
        days = Days(end=datetime.date(2025, 7, 31), count=365)
        summer = days.dates.index(datetime.date(2025, 7, 1))
        winter = days.dates.index(datetime.date(2025, 1, 15))
        self.assertEqual(days.moment(summer, 9 * 3600), "2025-07-01 06:00:00")
        self.assertEqual(days.moment(winter, 9 * 3600), "2025-01-15 07:00:00")

    def test_drawn_days_stay_inside_the_range(self) -> None:
        days = Days(end=datetime.date(2025, 7, 31), count=100)
        rng = Random(3)
        drawn = {days.draw(rng, 10, 20) for _ in range(500)}
        self.assertEqual(min(drawn), 10)
        self.assertEqual(max(drawn), 20)

    def test_month_ends_and_starts_are_known_for_every_day(self) -> None:
        days = Days(end=datetime.date(2025, 3, 10), count=40)
        february = days.dates.index(datetime.date(2025, 2, 14))
        self.assertEqual(days.dates[days.month_end[february]], datetime.date(2025, 2, 28))
        self.assertEqual(days.dates[days.month_start[february]], datetime.date(2025, 2, 1))
        self.assertEqual(days.month_end[days.count - 1], days.count - 1)


class ProgressTests(SimpleTestCase):
    def test_says_how_far_and_how_long_at_most_every_interval(self) -> None:
        lines: list[str] = []
        now = [0.0]
        progress = Progress(lines.append, interval=10, clock=lambda: now[0])
        now[0] = 5.0
        progress.step("contacts", 1_000_000, 12_000_000)
        now[0] = 130.0
        progress.step("contacts", 3_000_000, 12_000_000)
        self.assertEqual(lines, ["contacts 3,000,000 / 12,000,000 (25%) 2m10s"])

    def test_durations_read_in_seconds_minutes_and_hours(self) -> None:
        self.assertEqual(duration(4.25), "4.2s")
        self.assertEqual(duration(130), "2m10s")
        self.assertEqual(duration(3725), "1h02m05s")
