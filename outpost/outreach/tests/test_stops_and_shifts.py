import datetime
from decimal import Decimal

import time_machine

from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_staff
from outpost.inventory.actions import store_of
from outpost.inventory.models import Stocktake
from outpost.outreach import actions
from outpost.outreach.models import Shift, Stop
from outpost.outreach.tests.factories import make_stop, make_unit

# 09:00 in Kyiv on the day the tests pretend it is.
MORNING = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 3, 2)


@time_machine.travel(MORNING, tick=False)
class PlanStopTests(BaseTestCase):
    def setUp(self) -> None:
        self.unit = make_unit(self.site)

    def plan(self, **changes: object) -> Stop:
        fields: dict[str, object] = {
            "unit": self.unit,
            "worker": self.manager,
            "place": "Market square",
            "date": TODAY,
            "starts": datetime.time(10),
            "ends": datetime.time(14),
        }
        fields.update(changes)
        return actions.plan_stop(**fields)  # type: ignore[arg-type]  # test shorthand

    def refused(self, message: str, **changes: object) -> None:
        with self.assertRaisesMessage(DomainError, message):
            self.plan(**changes)
        self.assertFalse(Stop.objects.exists())

    def test_a_stop_goes_on_the_timetable_with_its_coordinates(self) -> None:
        stop = self.plan(latitude=Decimal("59.93428"), longitude=Decimal("30.33510"))
        self.assertEqual((stop.place, stop.latitude), ("Market square", Decimal("59.93428")))
        self.assertTrue(AuditEvent.objects.filter(verb="stop.planned").exists())

    def test_a_stop_in_the_past_is_refused(self) -> None:
        self.refused("A stop cannot be planned in the past.", date=TODAY - datetime.timedelta(1))
        self.refused(
            "A stop cannot be planned in the past.",
            starts=datetime.time(7),
            ends=datetime.time(8),
        )

    def test_an_impossible_time_window_is_refused(self) -> None:
        self.refused(
            "The stop must end after it starts.", starts=datetime.time(14), ends=datetime.time(10)
        )

    def test_one_coordinate_alone_is_refused(self) -> None:
        self.refused("Give both coordinates, or neither.", latitude=Decimal("59.9"))

    def test_only_a_mobile_unit_has_stops(self) -> None:
        self.refused("Stops are planned for a mobile unit in use.", unit=store_of(self.site))

    def test_a_cancelled_stop_stays_on_the_timetable_as_cancelled(self) -> None:
        stop = actions.cancel_stop(stop=self.plan(), worker=self.manager)
        self.assertIs(stop.is_cancelled, True)
        self.assertEqual(Stop.objects.planned().count(), 0)


@time_machine.travel(MORNING, tick=False)
class ShiftTests(BaseTestCase):
    def setUp(self) -> None:
        self.unit = make_unit(self.site)
        self.stop = make_stop(self.unit, self.manager, TODAY)

    def test_the_first_worker_starts_the_shift_and_the_next_joins_it(self) -> None:
        shift = actions.start_shift(stop=self.stop, worker=self.worker)
        again = actions.start_shift(stop=self.stop, worker=self.manager)
        self.assertEqual(shift.pk, again.pk)
        self.assertEqual(set(shift.staff.all()), {self.worker, self.manager})
        self.assertEqual(
            list(
                AuditEvent.objects.filter(verb__startswith="shift.").values_list("verb", flat=True)
            ),
            ["shift.started", "shift.joined"],
        )

    def test_no_shift_starts_at_a_cancelled_stop(self) -> None:
        stale = Stop.objects.get(pk=self.stop.pk)
        actions.cancel_stop(stop=self.stop, worker=self.manager)
        with self.assertRaisesMessage(DomainError, "This stop is cancelled."):
            actions.start_shift(stop=stale, worker=self.worker)
        self.assertFalse(Shift.objects.exists())

    def test_a_stop_whose_shift_has_started_cannot_be_cancelled(self) -> None:
        actions.start_shift(stop=self.stop, worker=self.worker)
        with self.assertRaisesMessage(DomainError, "A shift has started at this stop"):
            actions.cancel_stop(stop=self.stop, worker=self.manager)
        self.assertIs(Stop.objects.get(pk=self.stop.pk).is_cancelled, False)

    def test_a_shift_starts_only_on_the_day_of_its_stop(self) -> None:
        tomorrow = make_stop(self.unit, self.manager, TODAY + datetime.timedelta(1))
        with self.assertRaisesMessage(DomainError, "A shift starts on the day of its stop."):
            actions.start_shift(stop=tomorrow, worker=self.worker)
        self.assertFalse(Shift.objects.exists())

    def test_ending_a_shift_opens_the_count_of_the_stock_on_board(self) -> None:
        shift = actions.start_shift(stop=self.stop, worker=self.worker)
        stocktake = actions.end_shift(shift=shift, worker=self.worker)
        self.assertEqual((stocktake.location, stocktake.status), (self.unit, "counting"))
        shift.refresh_from_db()
        self.assertEqual(shift.stocktake, stocktake)
        with self.assertRaisesMessage(DomainError, "This shift has ended."):
            actions.start_shift(stop=self.stop, worker=self.manager)

    def test_only_the_team_ends_its_shift_and_a_failed_end_changes_nothing(self) -> None:
        shift = actions.start_shift(stop=self.stop, worker=self.worker)
        stranger = make_staff(self.org, "stranger", Role.OUTREACH_WORKER, self.site)
        with self.assertRaisesMessage(DomainError, "Only the team of this shift can end it."):
            actions.end_shift(shift=shift, worker=stranger)
        shift.refresh_from_db()
        self.assertIs(shift.is_open, True)
        self.assertFalse(Stocktake.objects.exists())
