"""Choices shared by several apps; each is part of the domain (SPEC §2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    ROOM = "room", _("Room")
    WINDOW = "window", _("Window")
    MOBILE_UNIT = "mobile_unit", _("Mobile unit")
    OUTREACH = "outreach", _("Street outreach")
    COURIER = "courier", _("Courier")
    PHONE = "phone", _("Phone")
    MESSENGER = "messenger", _("Messenger")
    ONLINE = "online", _("Online")


class Sex(models.TextChoices):
    MALE = "1", _("Male")
    FEMALE = "2", _("Female")
    OTHER = "3", _("Other or not stated")
