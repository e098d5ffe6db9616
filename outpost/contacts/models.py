import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item, Kit, ServiceType
from outpost.clients.models import Client
from outpost.core.choices import Channel
from outpost.orgs.models import Organisation, Site


class ContactQuerySet(models.QuerySet["Contact"]):
    def at_site_on(self, site: Site, date: datetime.date) -> "ContactQuerySet":
        return self.filter(site=site, date=date)

    def for_peers(self) -> "ContactQuerySet":
        """Contacts at which the client took supplies for peers."""
        return self.filter(peers__gt=0)


class Contact(models.Model):
    """One encounter at one place, through one channel (SPEC §2).

    A contact without a client is anonymous: it counts towards contacts and
    items, never towards unique clients.
    """

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="contacts")
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    occurred_at = models.DateTimeField(_("time"))
    date = models.DateField(help_text="The local date at the site.")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    syringes_returned = models.PositiveIntegerField(_("used syringes returned"), default=0)
    # Secondary distribution: a client taking supplies on to peers.
    peers = models.PositiveSmallIntegerField(_("peers supplied through the client"), default=0)
    units_for_peers = models.PositiveIntegerField(_("units for peers"), default=0)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["org", "date"], name="contact_org_date"),
            models.Index(fields=["site", "date"], name="contact_site_date"),
            models.Index(fields=["client", "date"], name="contact_client_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(units_for_peers=0) | models.Q(peers__gt=0),
                name="contact_units_for_peers_need_peers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_channel_display()} {self.client or '—'}"


class ContactItem(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    kit = models.ForeignKey(Kit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="contact_item_qty_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item}"


class ContactService(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="services")
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "service_type"], name="contact_service_unique"
            ),
        ]

    def __str__(self) -> str:
        return str(self.service_type)


class ContactDay(models.Model):
    """One client's contacts at one site, through one channel, on one day, summed.

    Reports read this, never the raw contacts and their item lines: units
    are already summed by item category, one column per category code.
    Anonymous contacts are summed in a row without a client. Rows are kept
    current in the transaction of each write (``contacts.summaries``) and
    can be rebuilt from the raw contacts at any time.
    """

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    date = models.DateField()
    month = models.DateField(help_text="The first day of the date's month.")
    contacts = models.PositiveIntegerField(default=0)
    syringes_returned = models.PositiveIntegerField(default=0)
    units_syringe = models.PositiveIntegerField(default=0)
    units_needle = models.PositiveIntegerField(default=0)
    units_alcohol_wipe = models.PositiveIntegerField(default=0)
    units_water = models.PositiveIntegerField(default=0)
    units_condom = models.PositiveIntegerField(default=0)
    units_lubricant = models.PositiveIntegerField(default=0)
    units_naloxone = models.PositiveIntegerField(default=0)
    units_hiv_self_test = models.PositiveIntegerField(default=0)
    units_rapid_test_hiv = models.PositiveIntegerField(default=0)
    units_rapid_test_hbv = models.PositiveIntegerField(default=0)
    units_rapid_test_hcv = models.PositiveIntegerField(default=0)
    units_rapid_test_syphilis = models.PositiveIntegerField(default=0)
    units_information = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "channel", "client", "date"],
                condition=models.Q(client__isnull=False),
                name="contact_day_client_unique",
            ),
            models.UniqueConstraint(
                fields=["site", "channel", "date"],
                condition=models.Q(client__isnull=True),
                name="contact_day_anonymous_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "date"], name="contact_day_org_date"),
            models.Index(fields=["client", "date"], name="contact_day_client_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.channel} {self.client_id or '—'}: {self.contacts}"


class ServiceDay(models.Model):
    """How many of a client's contacts of one day, site and channel gave a service."""

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    date = models.DateField()
    month = models.DateField()
    service_type = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="+")
    contacts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "channel", "client", "date", "service_type"],
                condition=models.Q(client__isnull=False),
                name="service_day_client_unique",
            ),
            models.UniqueConstraint(
                fields=["site", "channel", "date", "service_type"],
                condition=models.Q(client__isnull=True),
                name="service_day_anonymous_unique",
            ),
        ]
        indexes = [models.Index(fields=["org", "date"], name="service_day_org_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.channel} {self.client_id or '—'}: {self.service_type_id}"
