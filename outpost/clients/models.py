from django.db import models
from django.utils.translation import gettext_lazy as _

from outpost.core.choices import Sex
from outpost.orgs.models import Organisation


class PopulationGroup(models.TextChoices):
    """Groups as recorded (SPEC §3.3); a client can be in several."""

    INJECTS_OPIOIDS = "injects_opioids", _("Injects opioids")
    INJECTS_STIMULANTS = "injects_stimulants", _("Injects stimulants or NPS")
    NON_INJECTING = "non_injecting", _("Uses without injecting")
    CHEMSEX = "chemsex", _("Chemsex")
    SEX_WORK = "sex_work", _("Sex work")


class ClientQuerySet(models.QuerySet["Client"]):
    def for_org(self, org_id: int) -> "ClientQuerySet":
        return self.filter(org_id=org_id)


class Client(models.Model):
    """A person known only by their anonymous code (SPEC §1).

    The parts of the code are stored beside it so that duplicate matching
    needs no parsing; the parents' names it was built from are not.
    """

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="clients")
    code = models.CharField(_("code"), max_length=13)
    mother_part = models.CharField(max_length=2)
    father_part = models.CharField(max_length=2)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"))
    network_key = models.CharField(max_length=64, db_index=True)
    first_contact_date = models.DateField(_("first contact"), null=True, blank=True)
    last_contact_date = models.DateField(_("last contact"), null=True, blank=True)
    registered_at = models.DateTimeField(auto_now_add=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        constraints = [
            models.UniqueConstraint(fields=["org", "code"], name="client_code_unique"),
        ]
        indexes = [
            models.Index(fields=["org", "sex", "birth_date"], name="client_sex_dob"),
            models.Index(
                fields=["org", "mother_part", "father_part", "sex"], name="client_letters"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ClientGroup(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="groups")
    group = models.CharField(max_length=32, choices=PopulationGroup.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "group"], name="client_group_unique"),
        ]

    def __str__(self) -> str:
        return self.get_group_display()


class ContactDetails(models.Model):
    """How to reach a client, kept only while it is needed.

    The values are ciphertext (``outpost.vault.crypto``) bound to this row and
    column; the ``*_index`` columns are keyed blind indexes for exact look-up.
    Nothing here is readable from a copy of the database without the keys.
    """

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, primary_key=True, related_name="contact_details"
    )
    phone = models.BinaryField(null=True, editable=False)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    telegram = models.BinaryField(null=True, editable=False)
    telegram_index = models.CharField(max_length=64, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact details")
        verbose_name_plural = _("contact details")

    def __str__(self) -> str:
        return f"contact details of client #{self.pk}"

    @staticmethod
    def context(row: "ContactDetails", field: str) -> str:
        """What each ciphertext is bound to, so it cannot be moved elsewhere."""
        return f"clients.contactdetails.{field}:{row.pk}"
