"""Check-in, check-out, the waiting list and disinfection, in every mode."""

from outpost.clients.models import Client
from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.tests.base import BaseTestCase
from outpost.modes.actions import confirm_ppe
from outpost.modes.models import Mode
from outpost.room.actions import (
    add_to_waiting_list,
    check_in,
    check_out,
    record_disinfection,
    remove_from_waiting_list,
)
from outpost.room.errors import RoomFull
from outpost.room.models import Disinfection, RoomSession, WaitingEntry
from outpost.room.tests.factories import more_clients, restrict, set_mode


class RoomTestCase(BaseTestCase):
    boris: Client
    clara: Client
    dmytro: Client

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.boris, cls.clara, cls.dmytro = more_clients(cls.org, cls.worker, 3)

    def enter(self, client: Client) -> RoomSession:
        return check_in(site=self.site, client=client, worker=self.manager)


class NormalModeTests(RoomTestCase):
    def test_a_site_with_no_mode_lets_any_number_in(self) -> None:
        for client in (self.anna, self.boris, self.clara, self.dmytro):
            self.enter(client)
        self.assertEqual(RoomSession.objects.inside(self.site).count(), 4)

    def test_a_capacity_set_in_normal_mode_is_enforced(self) -> None:
        set_mode(self.site, self.manager, Mode.NORMAL, capacity=2)
        self.enter(self.anna)
        self.enter(self.boris)
        with self.assertRaisesMessage(RoomFull, "2 of 2 places taken"):
            self.enter(self.clara)

    def test_no_disinfection_or_protective_equipment_is_asked_for(self) -> None:
        session = self.enter(self.anna)
        check_out(session=session, worker=self.manager)
        self.enter(self.boris)
        self.assertEqual(RoomSession.objects.inside(self.site).count(), 1)

    def test_a_check_in_and_out_are_audited(self) -> None:
        session = self.enter(self.anna)
        check_out(session=session, worker=self.manager, disposed=3)
        verbs = list(AuditEvent.objects.order_by("seq").values_list("verb", flat=True))
        self.assertEqual(verbs[-2:], ["room.checked_in", "room.checked_out"])
        session.refresh_from_db()
        self.assertEqual(session.disposed, 3)


class RestrictedModeTests(RoomTestCase):
    def setUp(self) -> None:
        restrict(self.site, self.manager)

    def test_one_client_at_a_time_by_default(self) -> None:
        self.enter(self.anna)
        with self.assertRaisesMessage(RoomFull, "1 of 1 places taken"):
            self.enter(self.boris)
        self.assertEqual(RoomSession.objects.count(), 1)

    def test_the_next_client_waits_for_disinfection(self) -> None:
        session = self.enter(self.anna)
        check_out(session=session, worker=self.manager)
        with self.assertRaisesMessage(DomainError, "Record the disinfection"):
            self.enter(self.boris)
        record_disinfection(site=self.site, worker=self.manager)
        self.enter(self.boris)
        session.refresh_from_db()
        self.assertIsNotNone(session.disinfection_id)

    def test_a_larger_capacity_still_needs_disinfection_after_each_use(self) -> None:
        restrict(self.site, self.manager, capacity=2)
        first = self.enter(self.anna)
        self.enter(self.boris)
        check_out(session=first, worker=self.manager)
        with self.assertRaisesMessage(DomainError, "Record the disinfection"):
            self.enter(self.clara)

    def test_a_worker_must_confirm_mask_and_gloves_first(self) -> None:
        with self.assertRaisesMessage(DomainError, "Confirm your mask and gloves"):
            check_in(site=self.site, client=self.anna, worker=self.worker)
        confirm_ppe(site=self.site, worker=self.worker)
        check_in(site=self.site, client=self.anna, worker=self.worker)

    def test_a_client_who_came_in_before_the_restriction_leaves_under_it(self) -> None:
        """The mode at check-out decides: the space is shared from then on."""
        set_mode(self.site, self.manager, Mode.NORMAL)
        session = self.enter(self.anna)
        restrict(self.site, self.manager)
        check_out(session=session, worker=self.manager)
        with self.assertRaisesMessage(DomainError, "Record the disinfection"):
            self.enter(self.boris)
        self.assertFalse(RoomSession.objects.filter(client=self.boris).exists())

    def test_sessions_ended_in_normal_mode_do_not_block(self) -> None:
        set_mode(self.site, self.manager, Mode.NORMAL)
        session = self.enter(self.anna)
        check_out(session=session, worker=self.manager)
        restrict(self.site, self.manager)
        self.enter(self.boris)


class ClosedToClientsTests(RoomTestCase):
    def test_remote_and_closed_modes_let_nobody_in(self) -> None:
        for mode, label in ((Mode.REMOTE, "remote"), (Mode.CLOSED, "closed")):
            set_mode(self.site, self.manager, mode)
            with self.subTest(mode=mode), self.assertRaisesMessage(DomainError, label):
                self.enter(self.anna)
        self.assertFalse(RoomSession.objects.exists())

    def test_remote_and_closed_modes_keep_no_waiting_list(self) -> None:
        for mode in (Mode.REMOTE, Mode.CLOSED):
            set_mode(self.site, self.manager, mode)
            with self.subTest(mode=mode), self.assertRaisesMessage(DomainError, "room is closed"):
                add_to_waiting_list(site=self.site, client=self.anna, worker=self.manager)
        self.assertFalse(WaitingEntry.objects.exists())

    def test_a_client_inside_can_still_leave_after_closing(self) -> None:
        session = self.enter(self.anna)
        set_mode(self.site, self.manager, Mode.CLOSED)
        check_out(session=session, worker=self.manager)
        self.assertFalse(RoomSession.objects.inside(self.site).exists())


class BadInputTests(RoomTestCase):
    def test_a_client_already_inside_is_refused(self) -> None:
        self.enter(self.anna)
        with self.assertRaisesMessage(DomainError, f"{self.anna.code} is already inside."):
            self.enter(self.anna)
        self.assertEqual(RoomSession.objects.count(), 1)

    def test_checking_out_a_client_who_is_not_inside_is_refused(self) -> None:
        session = self.enter(self.anna)
        check_out(session=session, worker=self.manager, disposed=2)
        with self.assertRaisesMessage(DomainError, f"{self.anna.code} is not inside."):
            check_out(session=session, worker=self.manager, disposed=5)
        session.refresh_from_db()
        self.assertEqual(session.disposed, 2)

    def test_a_disinfection_with_no_session_is_refused(self) -> None:
        with self.assertRaisesMessage(DomainError, "nothing to record"):
            record_disinfection(site=self.site, worker=self.manager)
        self.assertFalse(Disinfection.objects.exists())

    def test_a_disinfection_twice_after_one_session_is_refused(self) -> None:
        check_out(session=self.enter(self.anna), worker=self.manager)
        record_disinfection(site=self.site, worker=self.manager)
        with self.assertRaisesMessage(DomainError, "nothing to record"):
            record_disinfection(site=self.site, worker=self.manager)
        self.assertEqual(Disinfection.objects.count(), 1)

    def test_a_negative_disposal_count_is_refused(self) -> None:
        session = self.enter(self.anna)
        with self.assertRaisesMessage(DomainError, "between 0 and"):
            check_out(session=session, worker=self.manager, disposed=-1)
        self.assertTrue(RoomSession.objects.inside(self.site).exists())

    def test_a_client_of_another_organisation_is_refused(self) -> None:
        stranger = more_clients(self.other_org, self.outsider, 1)[0]
        with self.assertRaisesMessage(DomainError, "not known here"):
            self.enter(stranger)


class WaitingListTests(RoomTestCase):
    def setUp(self) -> None:
        restrict(self.site, self.manager)
        self.inside = self.enter(self.anna)
        for client in (self.boris, self.clara):
            add_to_waiting_list(site=self.site, client=client, worker=self.manager)

    def free_the_place(self) -> None:
        check_out(session=self.inside, worker=self.manager)
        record_disinfection(site=self.site, worker=self.manager)

    def test_clients_go_in_in_the_order_they_came(self) -> None:
        self.free_the_place()
        with self.assertRaisesMessage(DomainError, f"{self.boris.code} is first"):
            self.enter(self.clara)
        self.enter(self.boris)
        entry = WaitingEntry.objects.get(client=self.boris)
        self.assertEqual(entry.status, WaitingEntry.Status.ADMITTED)

    def test_a_full_room_refuses_even_the_first_in_line(self) -> None:
        with self.assertRaisesMessage(RoomFull, "1 of 1 places taken"):
            self.enter(self.boris)
        entry = WaitingEntry.objects.get(client=self.boris)
        self.assertEqual(entry.status, WaitingEntry.Status.WAITING)

    def test_someone_who_went_away_leaves_the_list(self) -> None:
        remove_from_waiting_list(
            entry=WaitingEntry.objects.get(client=self.boris), worker=self.manager
        )
        self.free_the_place()
        self.enter(self.clara)

    def test_a_client_cannot_wait_twice_or_while_inside(self) -> None:
        with self.assertRaisesMessage(DomainError, "already on the waiting list"):
            add_to_waiting_list(site=self.site, client=self.boris, worker=self.manager)
        with self.assertRaisesMessage(DomainError, "already inside"):
            add_to_waiting_list(site=self.site, client=self.anna, worker=self.manager)
        self.assertEqual(WaitingEntry.objects.count(), 2)

    def test_removing_someone_no_longer_waiting_is_refused(self) -> None:
        entry = WaitingEntry.objects.get(client=self.boris)
        remove_from_waiting_list(entry=entry, worker=self.manager)
        with self.assertRaisesMessage(DomainError, "no longer on the waiting list"):
            remove_from_waiting_list(entry=entry, worker=self.manager)
