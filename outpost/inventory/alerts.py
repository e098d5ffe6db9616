"""The daily email of stock that needs attention, to each organisation's managers.

An item needs attention at a location when the forecast proposes an order,
when nothing usable is left of an item in use, or when units have expired
or expire within 60 days (``Forecast.needs_attention``). Managers and
administrators with an email address get one message a day each, in their
own language; the ``StockAlert`` row of the organisation and day makes a
second run that day send nothing.
"""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext, ngettext

from outpost.core.roles import Role
from outpost.inventory.forecast import EXPIRY_WARNING_DAYS, Forecast, forecasts
from outpost.inventory.models import Location, StockAlert, StockBalance
from outpost.orgs.models import Organisation, User

RECIPIENT_ROLES = (Role.MANAGER, Role.ADMIN)

Pair = tuple[int, int]  # (location id, item id)


@dataclass(frozen=True)
class ExpiringLot:
    lot: str
    expires_on: datetime.date
    quantity: int


@dataclass(frozen=True)
class AlertOutcome:
    """What one organisation's run came to, for the command's output."""

    class Status:
        SENT = "sent"
        ALREADY_SENT = "already sent"
        NOTHING = "nothing needs attention"
        NO_RECIPIENTS = "no manager has an email address"
        DRY_RUN = "would send"

    org: Organisation
    status: str
    items: int = 0
    recipients: int = 0


def send_stock_alert(
    *, org: Organisation, today: datetime.date, dry_run: bool = False
) -> AlertOutcome:
    """Email one organisation's managers what needs attention, unless done today.

    The day's row is written before the messages go, in one transaction:
    of two runs at once, the second fails on the row and sends nothing, and
    if sending fails the row goes too, so the next run tries again.
    """
    locations = list(Location.objects.active().filter(org=org))
    flagged = [
        forecast for forecast in forecasts(locations, today=today) if forecast.needs_attention
    ]
    if not flagged:
        return AlertOutcome(org, AlertOutcome.Status.NOTHING)
    recipients = _recipients(org)
    if not recipients:
        return AlertOutcome(org, AlertOutcome.Status.NO_RECIPIENTS, items=len(flagged))
    if dry_run:
        return AlertOutcome(
            org, AlertOutcome.Status.DRY_RUN, items=len(flagged), recipients=len(recipients)
        )
    lots = _expiring_lots(flagged, today=today)
    with transaction.atomic():
        try:
            with transaction.atomic():
                StockAlert.objects.create(
                    org=org,
                    sent_on=today,
                    items_at_risk=len(flagged),
                    recipients=len(recipients),
                )
        except IntegrityError:
            return AlertOutcome(org, AlertOutcome.Status.ALREADY_SENT)
        messages = [
            alert_message(user, org=org, flagged=flagged, lots=lots, today=today)
            for user in recipients
        ]
        get_connection(fail_silently=False).send_messages(messages)
    return AlertOutcome(
        org, AlertOutcome.Status.SENT, items=len(flagged), recipients=len(recipients)
    )


def _recipients(org: Organisation) -> list[User]:
    return list(
        User.objects.filter(
            memberships__org=org, memberships__role__in=RECIPIENT_ROLES, is_active=True
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def _expiring_lots(
    flagged: Sequence[Forecast], *, today: datetime.date
) -> dict[Pair, list[ExpiringLot]]:
    """Lots on hand that have expired or expire within 60 days, per item and location."""
    soon = today + datetime.timedelta(days=EXPIRY_WARNING_DAYS)
    wanted = {(forecast.location.pk, forecast.item.pk) for forecast in flagged}
    rows = StockBalance.objects.filter(
        location_id__in={pair[0] for pair in wanted},
        item_id__in={pair[1] for pair in wanted},
        quantity__gt=0,
        expires_on__lte=soon,
    ).order_by("expires_on", "lot")
    lots: dict[Pair, list[ExpiringLot]] = defaultdict(list)
    for row in rows:
        if row.expires_on is not None and (row.location_id, row.item_id) in wanted:
            lots[(row.location_id, row.item_id)].append(
                ExpiringLot(row.lot, row.expires_on, row.quantity)
            )
    return lots


def alert_message(
    user: User,
    *,
    org: Organisation,
    flagged: Sequence[Forecast],
    lots: dict[Pair, list[ExpiringLot]],
    today: datetime.date,
) -> EmailMessage:
    """The plain-text email to one manager, in their language."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = ngettext(
            "Stock: %(count)d item needs attention at %(org)s",
            "Stock: %(count)d items need attention at %(org)s",
            len(flagged),
        ) % {"count": len(flagged), "org": org.name}
        lines = [
            gettext("Stock that needs attention on %(date)s:") % {"date": _date(today)},
            "",
        ]
        for forecast in flagged:
            lines += _describe(forecast, lots.get((forecast.location.pk, forecast.item.pk), []))
        if settings.SITE_URL:
            lines += [
                gettext("Stock overview: %(url)s")
                % {"url": settings.SITE_URL + reverse("inventory:overview")},
                "",
            ]
        lines.append(
            gettext("Outpost sends this once a day to the managers and administrators of %(org)s.")
            % {"org": org.name}
        )
        return EmailMessage(subject=subject, body="\n".join(lines) + "\n", to=[user.email])


def _describe(forecast: Forecast, lots: Sequence[ExpiringLot]) -> list[str]:
    """A few lines on one item at one location."""
    values = {
        "location": forecast.location.name,
        "item": forecast.item.display_name,
        "on_hand": forecast.on_hand,
    }
    lines = [gettext("%(location)s · %(item)s: %(on_hand)d on hand") % values]
    days = forecast.days_of_stock
    stockout_on = forecast.stockout_on
    if days is not None and stockout_on is not None:
        lines.append(
            "  "
            + ngettext(
                "%(days)d day left, runs out on %(date)s",
                "%(days)d days left, runs out on %(date)s",
                days,
            )
            % {"days": days, "date": _date(stockout_on)}
        )
    if forecast.proposed_order:
        lines.append(
            "  " + gettext("Proposed order: %(units)d") % {"units": forecast.proposed_order}
        )
    if forecast.on_order:
        lines.append("  " + gettext("On order: %(units)d") % {"units": forecast.on_order})
    for lot in lots:
        template = (
            gettext("Lot %(lot)s expired on %(date)s: %(units)d to write off")
            if lot.expires_on < forecast.today
            else gettext("Lot %(lot)s expires on %(date)s: %(units)d")
        )
        lines.append(
            "  "
            + template
            % {
                "lot": lot.lot or gettext("without a number"),
                "date": _date(lot.expires_on),
                "units": lot.quantity,
            }
        )
    lines.append("")
    return lines


def _date(day: datetime.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")
