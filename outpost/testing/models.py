"""Tests, referrals, care outcomes and ART (SPEC §4).

Results and referrals are health data about a pseudonymous code. Nothing
here is free text except the ART regimen, which the form limits to the
characters of drug abbreviations; see docs/security.md.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item
from outpost.clients.models import Client
from outpost.contacts.models import Contact, ContactItem
from outpost.orgs.models import Organisation, Site

LOST_AFTER_DAYS = 90


class Disease(models.TextChoices):
    HIV = "hiv", _("HIV")
    HBV = "hbv", _("HBV (HBsAg)")
    HCV = "hcv", _("HCV (antibody)")
    SYPHILIS = "syphilis", _("Syphilis")


# The catalogue category of the rapid test kit for each disease.
KIT_CATEGORY: dict[str, str] = {
    Disease.HIV: "rapid_test_hiv",
    Disease.HBV: "rapid_test_hbv",
    Disease.HCV: "rapid_test_hcv",
    Disease.SYPHILIS: "rapid_test_syphilis",
}
SELF_TEST_CATEGORY = "hiv_self_test"


class Result(models.TextChoices):
    NON_REACTIVE = "non_reactive", _("Non-reactive")
    REACTIVE = "reactive", _("Reactive")
    INVALID = "invalid", _("Invalid")


class TestQuerySet(models.QuerySet["Test"]):
    def with_result_given(self) -> "TestQuerySet":
        """Tests whose reactive or non-reactive result the client knows."""
        return self.filter(result__in=[Result.REACTIVE, Result.NON_REACTIVE], result_given=True)


class Test(models.Model):
    """A rapid test done on site, or the reported result of a self-test.

    A self-test handed out is a contact item (category ``hiv_self_test``);
    its result, when the client reports it, is a Test pointing at that item.
    """

    class Method(models.TextChoices):
        RAPID = "rapid", _("Rapid test done by staff")
        SELF_TEST = "self_test", _("Self-test result reported by the client")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="tests")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="tests")
    disease = models.CharField(_("test for"), max_length=10, choices=Disease.choices)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    kit = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    lot = models.CharField(_("lot"), max_length=60, blank=True)
    handout = models.ForeignKey(
        ContactItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_tests",
    )
    pre_counselling = models.BooleanField(_("pre-test counselling"), default=False)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices)
    result_given = models.BooleanField(_("result given to the client"), default=False)
    post_counselling = models.BooleanField(_("post-test counselling"), default=False)
    tested_on = models.DateField(_("result on"), help_text=_("The date the result was known."))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    objects = TestQuerySet.as_manager()
    # Tells pytest that this model is not a test case to collect.
    __test__ = False

    class Meta:
        verbose_name = _("test")
        verbose_name_plural = _("tests")
        constraints = [
            models.CheckConstraint(
                condition=Q(method="self_test", handout__isnull=False)
                | Q(method="rapid", handout__isnull=True),
                name="test_self_test_has_handout",
            ),
        ]
        indexes = [models.Index(fields=["org", "disease", "tested_on"], name="test_org_date")]

    def __str__(self) -> str:
        return f"{self.get_disease_display()} {self.get_result_display()} {self.tested_on}"

    @property
    def is_reactive(self) -> bool:
        return self.result == Result.REACTIVE

    @property
    def label(self) -> str:
        """The infection and how it was tested, e.g. "HIV: rapid test done by staff"."""
        return str(METHOD_LABELS[self.method]) % {"disease": self.get_disease_display()}


# The infection, then how it was tested: one sentence a method, so that a
# translation can order the words as its language needs.
METHOD_LABELS: dict[str, Promise] = {
    Test.Method.RAPID: _("%(disease)s: rapid test done by staff"),
    Test.Method.SELF_TEST: _("%(disease)s: self-test result reported by the client"),
}


class ReferralQuerySet(models.QuerySet["Referral"]):
    def open(self) -> "ReferralQuerySet":
        return self.filter(status=Referral.Status.ISSUED)

    def past_lost_limit(self, today: datetime.date) -> "ReferralQuerySet":
        """Open referrals issued more than 90 days before ``today``."""
        return self.open().filter(issued_on__lt=today - datetime.timedelta(LOST_AFTER_DAYS))


class Referral(models.Model):
    """A referral to a service outside the programme, and whether it was reached."""

    class Target(models.TextChoices):
        CONFIRMATORY = "confirmatory", _("Confirmatory testing")
        HIV_CARE = "hiv_care", _("HIV care / ART")
        HCV_TREATMENT = "hcv_treatment", _("HCV treatment")
        TB = "tb", _("TB")
        OST = "ost", _("Opioid substitution therapy")
        DOCTOR = "doctor", _("A trusted doctor")
        SOCIAL = "social", _("Social services (documents, housing)")

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        COMPLETED = "completed", _("Completed")
        LOST = "lost", _("Lost")

    class Confirmation(models.TextChoices):
        CLIENT = "client", _("The client told us")
        DOCUMENT = "document", _("A document or photo was seen")
        SERVICE = "service", _("The service told us")
        ACCOMPANIED = "accompanied", _("Staff went with the client")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="referrals")
    test = models.ForeignKey(
        Test, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    target = models.CharField(_("referred to"), max_length=20, choices=Target.choices)
    disease = models.CharField(
        _("confirmation of"), max_length=10, choices=Disease.choices, blank=True
    )
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ISSUED
    )
    completed_on = models.DateField(_("reached the service on"), null=True, blank=True)
    confirmation = models.CharField(
        _("how it was confirmed"), max_length=12, choices=Confirmation.choices, blank=True
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("issued_on")), name="referral_due_after_issue"
            ),
            models.CheckConstraint(
                condition=Q(status="completed", completed_on__gte=models.F("issued_on"))
                | (~Q(status="completed") & Q(completed_on__isnull=True)),
                name="referral_completion_dated",
            ),
            models.CheckConstraint(
                condition=~Q(target="confirmatory") | ~Q(disease=""),
                name="referral_confirmation_names_disease",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "status", "due_on"], name="referral_site_due"),
            models.Index(fields=["org", "target", "issued_on"], name="referral_org_issued"),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.issued_on} ({self.get_status_display()})"


class Milestone(models.Model):
    """A step on the way to care that a service reports back (SPEC §4 cascades)."""

    class Kind(models.TextChoices):
        HIV_CONFIRMED = "hiv_confirmed", _("HIV confirmed positive")
        HIV_NOT_CONFIRMED = "hiv_not_confirmed", _("HIV not confirmed")
        HCV_VIRAEMIC = "hcv_viraemic", _("HCV RNA or antigen positive (viraemic)")
        HCV_NOT_VIRAEMIC = "hcv_not_viraemic", _("HCV RNA or antigen negative")
        HCV_TREATMENT_STARTED = "hcv_treatment_started", _("HCV treatment started")
        HCV_CURED = "hcv_cured", _("HCV cured (SVR)")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="milestones")
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="milestones"
    )
    kind = models.CharField(_("outcome"), max_length=24, choices=Kind.choices)
    occurred_on = models.DateField(_("date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("care outcome")
        verbose_name_plural = _("care outcomes")
        indexes = [models.Index(fields=["org", "kind", "occurred_on"], name="milestone_org_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"


class ArtCourseQuerySet(models.QuerySet["ArtCourse"]):
    def active(self) -> "ArtCourseQuerySet":
        return self.filter(stopped_on__isnull=True)

    def due_by(self, date: datetime.date) -> "ArtCourseQuerySet":
        """Active courses whose next supply is due on or before ``date``."""
        return self.active().filter(next_due_on__lte=date)


class ArtCourse(models.Model):
    """A client on antiretroviral therapy, supplied by the programme."""

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="art_courses")
    started_on = models.DateField(_("ART started on"))
    regimen = models.CharField(_("regimen"), max_length=40)
    days_per_supply = models.PositiveSmallIntegerField(_("days supplied per delivery"))
    next_due_on = models.DateField(_("next supply due on"))
    stopped_on = models.DateField(_("stopped on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    objects = ArtCourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("ART course")
        verbose_name_plural = _("ART courses")
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(stopped_on__isnull=True),
                name="art_one_active_course",
            ),
            models.CheckConstraint(
                condition=Q(days_per_supply__gte=1, days_per_supply__lte=180),
                name="art_days_per_supply_range",
            ),
        ]
        indexes = [models.Index(fields=["site", "next_due_on"], name="art_site_due")]

    def __str__(self) -> str:
        return f"{self.regimen} · {self.started_on}"


class ArtDelivery(models.Model):
    """One supply of ART, delivered as a contact on the courier channel."""

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(ArtCourse, on_delete=models.PROTECT, related_name="deliveries")
    contact = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="+")
    days_supplied = models.PositiveSmallIntegerField(_("days supplied"))
    delivered_on = models.DateField(_("delivered on"))
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("ART delivery")
        verbose_name_plural = _("ART deliveries")

    def __str__(self) -> str:
        return f"{self.delivered_on}: {self.days_supplied} days"
