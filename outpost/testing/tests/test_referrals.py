"""Referrals: issued from a reactive result or any contact, completed, or lost."""

import datetime
import io
import zoneinfo

import time_machine
from django.core.management import call_command

from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.tests.base import TODAY, BaseTestCase, make_client
from outpost.testing.actions import complete_referral, mark_lost_referrals, refer_client
from outpost.testing.models import Disease, Milestone, Referral, Result
from outpost.testing.tests.factories import make_test

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
NOON = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=KYIV)


def noon_after(days: int) -> datetime.datetime:
    return NOON + datetime.timedelta(days)


class ReferralTestCase(BaseTestCase):
    def refer(self, **fields: object) -> Referral:
        values: dict[str, object] = {
            "site": self.site,
            "worker": self.worker,
            "client": self.anna,
            "target": Referral.Target.CONFIRMATORY,
            "disease": Disease.HIV,
            "due_on": TODAY + datetime.timedelta(7),
        }
        values.update(fields)
        return refer_client(**values)  # type: ignore[arg-type]  # test data


@time_machine.travel(NOON, tick=False)
class ReferClientTests(ReferralTestCase):
    def test_a_referral_from_a_reactive_result_takes_the_test_s_infection(self) -> None:
        test = make_test(
            self.site, self.anna, self.worker, TODAY, disease=Disease.HCV, result=Result.REACTIVE
        )
        referral = self.refer(test=test, disease="")
        self.assertEqual(
            (referral.disease, referral.status, referral.issued_on), ("hcv", "issued", TODAY)
        )

    def test_a_referral_from_any_contact_needs_no_test(self) -> None:
        referral = self.refer(target=Referral.Target.OST, disease="")
        self.assertEqual((referral.target, referral.disease, referral.test), ("ost", "", None))

    def test_refuses_an_infection_to_confirm_for_another_service_instead_of_dropping_it(
        self,
    ) -> None:
        test = make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        for fields in ({"disease": "hiv"}, {"disease": "syphilis", "test": test}):
            with (
                self.subTest(**fields),
                self.assertRaisesMessage(DomainError, "only for a referral to confirmatory"),
            ):
                self.refer(target=Referral.Target.HCV_TREATMENT, **fields)
        self.assertEqual(Referral.objects.count(), 0)

    def test_refuses_treatment_for_another_infection_than_the_test_s(self) -> None:
        test = make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        with self.assertRaisesMessage(DomainError, "This test was for HIV"):
            self.refer(target=Referral.Target.HCV_TREATMENT, test=test, disease="")
        hcv = make_test(
            self.site, self.anna, self.worker, TODAY, disease=Disease.HCV, result=Result.REACTIVE
        )
        with self.assertRaisesMessage(DomainError, "This test was for HCV (antibody)"):
            self.refer(target=Referral.Target.HIV_CARE, test=hcv, disease="")
        self.assertEqual(Referral.objects.count(), 0)
        referral = self.refer(target=Referral.Target.HCV_TREATMENT, test=hcv, disease="")
        self.assertEqual((referral.target, referral.disease), ("hcv_treatment", ""))

    def test_refuses_to_confirm_another_infection_than_the_test_s(self) -> None:
        test = make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        with self.assertRaisesMessage(DomainError, "the confirmation must be of HIV too"):
            self.refer(test=test, disease=Disease.SYPHILIS)
        self.assertEqual(Referral.objects.count(), 0)

    def test_refuses_a_referral_from_a_non_reactive_result(self) -> None:
        test = make_test(self.site, self.anna, self.worker, TODAY)
        with self.assertRaisesMessage(DomainError, "needs a reactive result"):
            self.refer(test=test)
        self.assertEqual(Referral.objects.count(), 0)

    def test_refuses_a_referral_from_another_client_s_test(self) -> None:
        boris = make_client(self.org, self.worker, mother="Boryslava", birth_year=1990)
        test = make_test(self.site, boris, self.worker, TODAY, result=Result.REACTIVE)
        with self.assertRaisesMessage(DomainError, "needs a reactive result of this client"):
            self.refer(test=test)
        self.assertEqual(Referral.objects.count(), 0)

    def test_refuses_a_due_date_more_than_90_days_ahead(self) -> None:
        self.refer(due_on=TODAY + datetime.timedelta(90))
        with self.assertRaisesMessage(
            DomainError, "The due date must be between today and 90 days from now."
        ):
            self.refer(due_on=TODAY + datetime.timedelta(91))
        self.assertEqual(Referral.objects.count(), 1)

    def test_refuses_confirmatory_testing_without_the_infection(self) -> None:
        with self.assertRaisesMessage(DomainError, "Say which infection"):
            self.refer(disease="")

    def test_refuses_a_due_date_in_the_past(self) -> None:
        with self.assertRaisesMessage(
            DomainError, "The due date must be between today and 90 days"
        ):
            self.refer(due_on=TODAY - datetime.timedelta(1))


@time_machine.travel(NOON, tick=False)
class CompleteReferralTests(ReferralTestCase):
    def complete(self, referral: Referral, **fields: object) -> Referral:
        values: dict[str, object] = {
            "referral": referral,
            "worker": self.worker,
            "completed_on": TODAY,
            "confirmation": Referral.Confirmation.DOCUMENT,
        }
        values.update(fields)
        return complete_referral(**values)  # type: ignore[arg-type]  # test data

    def test_records_the_date_the_client_reached_the_service_and_how_it_is_known(self) -> None:
        done = self.complete(self.refer(), outcome=Milestone.Kind.HIV_CONFIRMED)
        self.assertEqual(
            (done.status, done.completed_on, done.confirmation), ("completed", TODAY, "document")
        )
        outcome = Milestone.objects.get(referral=done)
        self.assertEqual((outcome.kind, outcome.occurred_on), ("hiv_confirmed", TODAY))
        self.assertTrue(
            AuditEvent.objects.filter(verb="referral.completed", target_id=done.pk).exists()
        )

    def test_refuses_a_completion_date_before_the_referral_and_saves_nothing(self) -> None:
        referral = self.refer()
        with self.assertRaisesMessage(DomainError, "before the referral was issued on 2026-03-02"):
            self.complete(
                referral, completed_on=TODAY - datetime.timedelta(1), outcome="hiv_confirmed"
            )
        referral.refresh_from_db()
        self.assertEqual((referral.status, referral.completed_on), ("issued", None))
        self.assertEqual(Milestone.objects.count(), 0)

    def test_refuses_a_completion_date_after_today(self) -> None:
        referral = self.refer()
        with self.assertRaisesMessage(DomainError, "cannot be later than today"):
            self.complete(referral, completed_on=TODAY + datetime.timedelta(1))
        referral.refresh_from_db()
        self.assertEqual(referral.status, "issued")

    def test_refuses_an_outcome_that_does_not_fit_the_referral(self) -> None:
        referral = self.refer(target=Referral.Target.TB, disease="")
        with self.assertRaisesMessage(DomainError, "That outcome does not fit this referral."):
            self.complete(referral, outcome=Milestone.Kind.HIV_CONFIRMED)
        referral.refresh_from_db()
        self.assertEqual((referral.status, Milestone.objects.count()), ("issued", 0))

    def test_refuses_to_complete_a_referral_twice(self) -> None:
        referral = self.complete(self.refer())
        with self.assertRaisesMessage(DomainError, "already completed"):
            self.complete(referral)


class LostReferralTests(ReferralTestCase):
    def test_a_referral_open_for_90_days_is_still_issued(self) -> None:
        with time_machine.travel(NOON, tick=False):
            referral = self.refer()
        with time_machine.travel(noon_after(90), tick=False):
            self.assertEqual(mark_lost_referrals(today=TODAY + datetime.timedelta(90)), 0)
        referral.refresh_from_db()
        self.assertEqual(referral.status, "issued")

    def test_the_daily_command_marks_a_referral_lost_on_day_91(self) -> None:
        with time_machine.travel(NOON, tick=False):
            referral = self.refer()
        out = io.StringIO()
        with time_machine.travel(noon_after(91), tick=False):
            call_command("mark_lost_referrals", stdout=out)
        referral.refresh_from_db()
        self.assertEqual(referral.status, "lost")
        self.assertIn("referrals marked lost: 1", out.getvalue())
        self.assertTrue(
            AuditEvent.objects.filter(verb="referral.lost", target_id=referral.pk).exists()
        )

    def test_a_dry_run_changes_nothing(self) -> None:
        with time_machine.travel(NOON, tick=False):
            referral = self.refer()
        with time_machine.travel(noon_after(120), tick=False):
            call_command("mark_lost_referrals", "--dry-run", stdout=io.StringIO())
        referral.refresh_from_db()
        self.assertEqual(referral.status, "issued")

    def test_a_completed_referral_is_never_lost(self) -> None:
        with time_machine.travel(NOON, tick=False):
            referral = self.refer()
            complete_referral(
                referral=referral, worker=self.worker, completed_on=TODAY, confirmation="client"
            )
        with time_machine.travel(noon_after(200), tick=False):
            call_command("mark_lost_referrals", stdout=io.StringIO())
        referral.refresh_from_db()
        self.assertEqual(referral.status, "completed")

    def test_a_lost_referral_can_still_be_completed_late(self) -> None:
        with time_machine.travel(NOON, tick=False):
            referral = self.refer()
        with time_machine.travel(noon_after(100), tick=False):
            mark_lost_referrals(today=TODAY + datetime.timedelta(100))
            done = complete_referral(
                referral=referral,
                worker=self.worker,
                completed_on=TODAY + datetime.timedelta(95),
                confirmation="service",
            )
        self.assertEqual(done.status, "completed")
