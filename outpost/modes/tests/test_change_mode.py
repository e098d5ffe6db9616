"""A manager changes a site's mode with a reason; the history keeps each change."""

import datetime
import uuid

from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.tests.base import BaseTestCase
from outpost.modes.actions import change_mode, set_opening_hours
from outpost.modes.models import Mode, ModeChange
from outpost.modes.policy import policy_at
from outpost.orgs.models import OpeningHours


class ChangeModeTests(BaseTestCase):
    def change(self, mode: str, **fields: object) -> ModeChange:
        fields.setdefault("reason", "COVID-19 quarantine")
        return change_mode(site=self.site, manager=self.manager, mode=mode, **fields)  # type: ignore[arg-type]  # test helper

    def test_each_change_is_kept_with_its_reason_and_audited(self) -> None:
        self.change(Mode.RESTRICTED)
        self.change(Mode.NORMAL, reason="Quarantine lifted")
        history = ModeChange.objects.filter(site=self.site).order_by("changed_at", "pk")
        self.assertEqual(
            [(c.mode, c.reason) for c in history],
            [("restricted", "COVID-19 quarantine"), ("normal", "Quarantine lifted")],
        )
        self.assertEqual(AuditEvent.objects.filter(verb="mode.changed").count(), 2)
        self.assertEqual(policy_at(self.site).mode, Mode.NORMAL)

    def test_restricted_mode_admits_one_client_unless_told_otherwise(self) -> None:
        self.assertEqual(self.change(Mode.RESTRICTED).capacity, 1)
        self.assertEqual(self.change(Mode.RESTRICTED, capacity=3).capacity, 3)

    def test_remote_and_closed_admit_nobody_inside(self) -> None:
        self.change(Mode.REMOTE, capacity=4)
        self.assertEqual(policy_at(self.site).capacity, 0)

    def test_services_allowed_inside_are_kept_only_for_restricted_mode(self) -> None:
        restricted = self.change(Mode.RESTRICTED, services_inside=[self.counselling])
        normal = self.change(Mode.NORMAL, services_inside=[self.counselling])
        self.assertEqual(list(restricted.services_inside.all()), [self.counselling])
        self.assertFalse(normal.services_inside.exists())

    def test_a_change_without_a_reason_is_refused(self) -> None:
        with self.assertRaisesMessage(DomainError, "Give a reason for the change."):
            self.change(Mode.CLOSED, reason="   ")
        self.assertFalse(ModeChange.objects.exists())

    def test_an_unknown_mode_or_capacity_out_of_range_is_refused(self) -> None:
        with self.assertRaisesMessage(DomainError, "operating modes"):
            self.change("holiday")
        with self.assertRaisesMessage(DomainError, "between 1 and"):
            self.change(Mode.RESTRICTED, capacity=0)
        self.assertFalse(ModeChange.objects.exists())

    def test_a_service_of_another_organisation_is_refused(self) -> None:
        foreign = self.other_org.service_types.first()
        assert foreign is not None
        with self.assertRaisesMessage(DomainError, "catalogue"):
            self.change(Mode.RESTRICTED, services_inside=[foreign])

    def test_a_retried_form_records_once(self) -> None:
        key = uuid.uuid4()
        first = self.change(Mode.RESTRICTED, idempotency_key=key)
        again = self.change(Mode.RESTRICTED, idempotency_key=key)
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(ModeChange.objects.count(), 1)

    def test_the_mode_already_in_force_is_refused_and_no_history_added(self) -> None:
        with self.assertRaisesMessage(DomainError, "Sumy room is already in normal mode"):
            self.change(Mode.NORMAL)
        self.change(Mode.REMOTE)
        with self.assertRaisesMessage(DomainError, "Sumy room is already in remote mode."):
            self.change(Mode.REMOTE, reason="Still quarantined", capacity=3)
        self.change(Mode.RESTRICTED, capacity=2, services_inside=[self.counselling])
        with self.assertRaisesMessage(DomainError, "Sumy room is already in restricted mode"):
            self.change(Mode.RESTRICTED, capacity=2, services_inside=[self.counselling])
        self.assertEqual(ModeChange.objects.count(), 2)

    def test_the_same_mode_with_new_settings_is_a_new_change(self) -> None:
        self.change(Mode.RESTRICTED)
        self.change(Mode.RESTRICTED, capacity=3)
        self.change(Mode.RESTRICTED, capacity=3, services_inside=[self.counselling])
        self.change(Mode.NORMAL)
        self.change(Mode.NORMAL, capacity=10)
        self.assertEqual(ModeChange.objects.count(), 5)
        self.assertEqual(policy_at(self.site).capacity, 10)


class OpeningHoursTests(BaseTestCase):
    def test_monday_to_friday_replaces_what_was_there(self) -> None:
        ten, four = datetime.time(10), datetime.time(16)
        set_opening_hours(site=self.site, manager=self.manager, hours=[(6, ten, four)])
        set_opening_hours(
            site=self.site, manager=self.manager, hours=[(day, ten, four) for day in range(5)]
        )
        self.assertEqual(
            list(OpeningHours.objects.filter(site=self.site).values_list("weekday", flat=True)),
            [0, 1, 2, 3, 4],
        )

    def test_closing_before_opening_is_refused_and_nothing_changes(self) -> None:
        ten, four = datetime.time(10), datetime.time(16)
        set_opening_hours(site=self.site, manager=self.manager, hours=[(0, ten, four)])
        with self.assertRaisesMessage(DomainError, "close after it opens"):
            set_opening_hours(
                site=self.site, manager=self.manager, hours=[(0, ten, four), (1, four, ten)]
            )
        self.assertEqual(OpeningHours.objects.filter(site=self.site).count(), 1)
