"""Where and when: the public timetable of stops and sites (no client or staff data)."""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext

from outpost.modes.models import Mode, ModeChange
from outpost.orgs.models import OpeningHours, Organisation, Site
from outpost.outreach.models import Stop

WEEK_DAYS = 7


@dataclass(frozen=True)
class SiteNow:
    site: Site
    mode: Mode
    hours: list[OpeningHours]

    @property
    def mode_note(self) -> str:
        """What the mode means for someone who wants to come."""
        return {
            Mode.NORMAL: gettext("Open as usual."),
            Mode.RESTRICTED: gettext("Open through the window; few people inside at a time."),
            Mode.REMOTE: gettext("By phone, messenger and courier only."),
            Mode.CLOSED: gettext("Closed for now; see the other places."),
        }[self.mode]


@dataclass(frozen=True)
class Timetable:
    today: datetime.date
    stops_today: list[Stop]
    stops_week: list[Stop]
    sites: list[SiteNow]


def timetable(org: Organisation) -> Timetable:
    """Today's and the coming week's stops of the organisation's units, and its sites now.

    Each stop's days count in its unit's site's time zone.
    """
    server_today = timezone.localdate()
    stops = (
        Stop.objects.filter(
            org=org,
            unit__is_active=True,
            date__gte=server_today - datetime.timedelta(days=1),
            date__lte=server_today + datetime.timedelta(days=WEEK_DAYS),
        )
        .select_related("unit__site")
        .order_by("date", "starts", "pk")
    )
    today_of: dict[int, datetime.date] = {}
    stops_today: list[Stop] = []
    stops_week: list[Stop] = []
    for stop in stops:
        site = stop.unit.site
        if site is None:
            continue
        local = today_of.setdefault(site.pk, site.local_today())
        if stop.date == local:
            stops_today.append(stop)
        if local <= stop.date < local + datetime.timedelta(days=WEEK_DAYS):
            stops_week.append(stop)
    sites = list(Site.objects.filter(org=org).prefetch_related("opening_hours").order_by("name"))
    today = sites[0].local_today() if sites else server_today
    return Timetable(today, stops_today, stops_week, _sites_now(sites))


def _sites_now(sites: list[Site]) -> list[SiteNow]:
    """Each site with the mode in force now, from one query for all of them."""
    modes: dict[int, Mode] = {}
    changes = (
        ModeChange.objects.filter(site__in=sites, changed_at__lte=timezone.now())
        .order_by("site_id", "-changed_at", "-pk")
        .values_list("site_id", "mode")
    )
    for site_id, mode in changes:
        modes.setdefault(site_id, Mode(mode))
    return [
        SiteNow(
            site=site, mode=modes.get(site.pk, Mode.NORMAL), hours=list(site.opening_hours.all())
        )
        for site in sites
    ]


def as_json(table: Timetable) -> dict[str, object]:
    """The same timetable for the bot and other sites, in plain values."""
    return {
        "today": table.today.isoformat(),
        "stops_today": [_stop(stop) for stop in table.stops_today],
        "stops_this_week": [_stop(stop) for stop in table.stops_week],
        "sites": [
            {
                "name": now.site.name,
                "mode": now.mode.value,
                "mode_label": str(now.mode.label),
                "mode_note": now.mode_note,
                "opening_hours": [
                    {
                        "weekday": hours.weekday,
                        "day": hours.get_weekday_display(),
                        "opens": hours.opens.strftime("%H:%M"),
                        "closes": hours.closes.strftime("%H:%M"),
                    }
                    for hours in now.hours
                ],
            }
            for now in table.sites
        ],
    }


def _stop(stop: Stop) -> dict[str, object]:
    return {
        "unit": stop.unit.name,
        "place": stop.place,
        "latitude": float(stop.latitude) if stop.latitude is not None else None,
        "longitude": float(stop.longitude) if stop.longitude is not None else None,
        "date": stop.date.isoformat(),
        "starts": stop.starts.strftime("%H:%M"),
        "ends": stop.ends.strftime("%H:%M"),
        "cancelled": stop.is_cancelled,
    }
