"""What a site's operating mode allows (SPEC §6).

Quick entry, the room and later the bot read the rules from here, so a mode
means the same thing everywhere.
"""

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext

from outpost.core.choices import Channel
from outpost.core.errors import DomainError
from outpost.modes.models import Mode, ModeChange, PpeConfirmation
from outpost.orgs.models import Site, User

DEFAULT_RESTRICTED_CAPACITY = 1

REMOTE_CHANNELS = frozenset({Channel.PHONE, Channel.MESSENGER, Channel.COURIER, Channel.ONLINE})


@dataclass(frozen=True)
class SitePolicy:
    """The rules of the mode a site is in at one moment."""

    mode: Mode
    # None: no limit; 0: nobody may be checked in.
    capacity: int | None
    services_inside: frozenset[int] = frozenset()

    @property
    def is_closed(self) -> bool:
        return self.mode == Mode.CLOSED

    @property
    def room_open(self) -> bool:
        return self.capacity != 0

    @property
    def disinfection_required(self) -> bool:
        return self.mode == Mode.RESTRICTED

    @property
    def ppe_required(self) -> bool:
        return self.mode == Mode.RESTRICTED

    @property
    def channels(self) -> frozenset[str]:
        if self.mode == Mode.NORMAL:
            return frozenset(Channel.values)
        if self.mode == Mode.REMOTE:
            return REMOTE_CHANNELS
        if self.mode == Mode.RESTRICTED:
            # Inside only for the services the manager allows there.
            inside = {Channel.ROOM} if self.services_inside else set()
            return frozenset({Channel.WINDOW, *inside})
        return frozenset()

    def allows(self, channel: str, service_ids: Collection[int]) -> bool:
        if channel not in self.channels:
            return False
        if self.mode == Mode.RESTRICTED and channel == Channel.ROOM:
            return set(service_ids) <= self.services_inside
        return True


NORMAL = SitePolicy(mode=Mode.NORMAL, capacity=None)


def mode_change_at(site: Site, moment: datetime.datetime | None = None) -> ModeChange | None:
    """The change in force at ``moment`` (now by default); None for a new site."""
    return ModeChange.objects.for_site_at(site, moment or timezone.now()).first()


def policy_at(site: Site, moment: datetime.datetime | None = None) -> SitePolicy:
    """The rules at ``site`` at ``moment`` (now by default)."""
    change = mode_change_at(site, moment)
    if change is None:
        return NORMAL
    return policy_of(change)


def policy_of(change: ModeChange) -> SitePolicy:
    mode = Mode(change.mode)
    if mode in (Mode.REMOTE, Mode.CLOSED):
        return SitePolicy(mode=mode, capacity=0)
    services: frozenset[int] = frozenset()
    if mode == Mode.RESTRICTED:
        services = frozenset(change.services_inside.values_list("pk", flat=True))
    return SitePolicy(mode=mode, capacity=change.capacity, services_inside=services)


def channel_choices(policy: SitePolicy) -> list[tuple[str, str]]:
    """The channels quick entry offers, in the usual order."""
    return [(value, str(label)) for value, label in Channel.choices if value in policy.channels]


def has_confirmed_ppe(site: Site, worker: User, date: datetime.date) -> bool:
    return PpeConfirmation.objects.filter(site=site, worker=worker, date=date).exists()


def check_contact_allowed(
    *,
    site: Site,
    worker: User,
    channel: str,
    service_ids: Collection[int],
    moment: datetime.datetime,
    live: bool,
) -> None:
    """Refuse a contact the site's mode at ``moment`` does not allow.

    Protective equipment is asked for only on live entries: a paper record
    typed in later is not the start of a shift.
    """
    policy = policy_at(site, moment)
    if policy.is_closed:
        raise DomainError(gettext("%(site)s is closed: nothing is recorded here.") % _site(site))
    if not policy.allows(channel, service_ids):
        raise DomainError(refusal_of(policy, channel))
    if live and policy.ppe_required:
        check_ppe(site=site, worker=worker, date=site.local_date(moment))


def check_ppe(*, site: Site, worker: User, date: datetime.date) -> None:
    if not has_confirmed_ppe(site, worker, date):
        raise DomainError(
            gettext(
                "Confirm your mask and gloves for this shift at %(site)s first, on the Room page."
            )
            % _site(site)
        )


def refusal_of(policy: SitePolicy, channel: str) -> str:
    label = str(Channel(channel).label) if channel in Channel.values else channel
    if policy.mode == Mode.RESTRICTED and channel == Channel.ROOM:
        return gettext(
            "In restricted mode only the services the manager allows inside are given in the "
            "room; give the others through the window."
        )
    return gettext("This mode (%(mode)s) does not allow contacts by %(channel)s.") % {
        "mode": policy.mode.label,
        "channel": label,
    }


def _site(site: Site) -> dict[str, str]:
    return {"site": site.name}
