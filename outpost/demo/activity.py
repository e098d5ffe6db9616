"""The demo's work beyond contacts and stock: modes, the room, tests, cases, deliveries.

Each function adds one capability through that app's own actions, so every
rule the web interface applies holds here too. The actions stamp their rows
with the time they run, so a past day is written with the clock set to it
(``_clock``), as if a worker had entered it then. Randomness comes from the
organisation's stream only, so a seed always gives the same activity.
"""

from __future__ import annotations

import contextlib
import datetime
import random
import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from unittest import mock

from django.utils import timezone

from outpost.cases.actions import (
    FollowUpIn,
    close_case,
    complete_follow_up,
    open_case,
    record_consultation,
    update_goals,
)
from outpost.cases.models import Case, FollowUp, Goal, GoalType, Topic
from outpost.catalogue.models import Item, Kit, ServiceType
from outpost.clients.models import Client
from outpost.core.choices import Channel
from outpost.delivery.actions import (
    OrderRequest,
    Window,
    approve_delivery,
    assign_courier,
    create_delivery_order,
    mark_delivered,
    mark_failed,
    mark_out,
    retry_delivery,
)
from outpost.delivery.models import DeliveryOrder
from outpost.inventory.actions import store_of
from outpost.inventory.locations import save_location
from outpost.inventory.models import Location
from outpost.inventory.transfers import send_transfer
from outpost.modes.actions import change_mode, confirm_ppe
from outpost.modes.models import Mode
from outpost.orgs.models import Organisation, Site, User
from outpost.outreach.actions import plan_stop, record_web_figures
from outpost.outreach.models import WebOutreachFigures
from outpost.room.actions import (
    Response,
    check_in,
    check_out,
    record_disinfection,
    record_event,
    record_response,
    start_incident,
)
from outpost.room.models import Event, OverdoseIncident, RoomSession
from outpost.testing.actions import (
    complete_referral,
    mark_lost_referrals,
    record_rapid_test,
    refer_client,
    start_art,
)
from outpost.testing.models import LOST_AFTER_DAYS, Milestone, Referral, Result, Test

# The activity spreads over the period, but over at least two weeks, so a
# short period (as in the tests) still gets past days to put it on.
MIN_SPAN_DAYS = 14
INJECTING_KIT = "Injecting kit"
SAFER_SEX_KIT = "Safer sex kit"
NALOXONE = "Naloxone 0.4 mg/ml ampoule"


@dataclass(frozen=True)
class Demo:
    """One organisation being built, as the activity functions need it."""

    rng: random.Random
    org: Organisation
    sites: Mapping[str, Site]
    staff: Mapping[str, User]
    clients: Sequence[Client]
    # Each client's usual site and whether they inject, by index.
    home_sites: Sequence[str]
    injects: Sequence[bool]
    items: Mapping[str, Item]
    kits: Mapping[str, Kit]
    today: datetime.date
    now: datetime.datetime
    span: int

    def clients_of(self, site: str) -> list[Client]:
        return [c for c, home in zip(self.clients, self.home_sites, strict=True) if home == site]

    def injecting_clients(self) -> list[Client]:
        return [c for c, injects in zip(self.clients, self.injects, strict=True) if injects]


@contextlib.contextmanager
def _clock(moment: datetime.datetime) -> Iterator[None]:
    """Run actions as if it were ``moment``: they stamp their rows with the time."""
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


def _at(site: Site, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(site.timezone)
    )


def _open_days(site: Site) -> set[int]:
    return set(site.opening_hours.values_list("weekday", flat=True))


def _open_day_before(site: Site, day: datetime.date) -> datetime.date:
    """The last day before ``day`` the site is open."""
    days = _open_days(site)
    day -= datetime.timedelta(days=1)
    while day.weekday() not in days:
        day -= datetime.timedelta(days=1)
    return day


def _past_open_days(
    demo: Demo, site: Site, *, skip: Sequence[datetime.date] = ()
) -> list[datetime.date]:
    """Open days of the span before today, oldest first."""
    days = _open_days(site)
    return [
        day
        for offset in range(demo.span - 1, 0, -1)
        if (day := demo.today - datetime.timedelta(days=offset)).weekday() in days
        and day not in skip
    ]


def _this_morning(site: Site, now: datetime.datetime) -> datetime.datetime:
    """Early today at the site, or now if that is earlier: today's plans are made then."""
    return min(now, _at(site, site.local_date(now), 8))


# Sumy room ----------------------------------------------------------------


def add_room_programme(demo: Demo) -> list[datetime.date]:
    """The mode history, recorded before the contacts so they follow its rules.

    Returns the restricted days, for the room's sessions.
    """
    return _add_restricted_days(demo)


def add_room_activity(demo: Demo, restricted: Sequence[datetime.date]) -> None:
    """What the room does besides handing out, after the contacts."""
    _add_room_sessions(demo, restricted)
    _add_overdoses(demo, restricted)
    _add_events(demo, restricted)
    _add_tests_referrals_and_art(demo, restricted)


def _add_restricted_days(demo: Demo) -> list[datetime.date]:
    """Three working days in restricted mode with the reason, then back to normal."""
    site = demo.sites["Sumy room"]
    manager = demo.staff["sumy-manager"]
    days = _past_open_days(demo, site)[:-2]
    if len(days) < 6:
        return []
    first = demo.rng.randrange(len(days) // 3, len(days) - 3)
    restricted = days[first : first + 3]
    with _clock(_at(site, restricted[0], 9)):
        change_mode(
            site=site,
            manager=manager,
            mode=Mode.RESTRICTED,
            reason=(
                "Two workers off sick: one client inside at a time, masks and gloves, "
                "disinfection after each client."
            ),
            capacity=1,
            services_inside=list(ServiceType.objects.filter(org=demo.org, is_active=True)),
        )
    with _clock(_at(site, restricted[-1], 18, 30)):
        change_mode(
            site=site,
            manager=manager,
            mode=Mode.NORMAL,
            reason="The team is back from sick leave; normal work resumes.",
        )
    return restricted


def _session(
    demo: Demo, site: Site, client: Client, start: datetime.datetime, minutes: int
) -> RoomSession:
    worker = demo.staff["sumy-worker"]
    with _clock(start):
        session = check_in(site=site, client=client, worker=worker)
    with _clock(start + datetime.timedelta(minutes=minutes)):
        return check_out(session=session, worker=worker, disposed=demo.rng.randint(1, 4))


def _add_room_sessions(demo: Demo, restricted: Sequence[datetime.date]) -> None:
    """Sessions in the consumption space; on restricted days, disinfection after each."""
    site = demo.sites["Sumy room"]
    worker = demo.staff["sumy-worker"]
    clients = demo.injecting_clients()
    for day in restricted:
        with _clock(_at(site, day, 10)):
            confirm_ppe(site=site, worker=worker)
        for hour in (11, 13, 15):
            start = _at(site, day, hour, demo.rng.randrange(0, 30))
            _session(demo, site, demo.rng.choice(clients), start, 25)
            with _clock(start + datetime.timedelta(minutes=35)):
                record_disinfection(site=site, worker=worker)
    for day in _past_open_days(demo, site, skip=restricted)[-3:]:
        for hour in (11, 12, 14, 16):
            start = _at(site, day, hour, demo.rng.randrange(0, 30))
            _session(demo, site, demo.rng.choice(clients), start, demo.rng.randint(20, 40))


def _add_overdoses(demo: Demo, restricted: Sequence[datetime.date]) -> None:
    """One overdose inside the room and one at the door, both answered with naloxone."""
    site = demo.sites["Sumy room"]
    worker = demo.staff["sumy-worker"]
    naloxone = demo.items[NALOXONE]
    days = _past_open_days(demo, site, skip=restricted)
    inside_day, door_day = days[len(days) // 2], days[-4]
    start = _at(site, inside_day, 12, demo.rng.randrange(0, 30))
    with _clock(start):
        session = check_in(
            site=site, client=demo.rng.choice(demo.injecting_clients()), worker=worker
        )
    with _clock(start + datetime.timedelta(minutes=14)):
        incident = start_incident(site=site, worker=worker, session=session)
    with _clock(start + datetime.timedelta(minutes=40)):
        record_response(
            incident=incident,
            worker=worker,
            response=Response(
                occurred_at=start + datetime.timedelta(minutes=13),
                signs=[OverdoseIncident.Sign.UNRESPONSIVE, OverdoseIncident.Sign.SLOW_BREATHING],
                naloxone_item=naloxone,
                naloxone_doses=1,
                oxygen=True,
                rescue_breathing=True,
                outcome=OverdoseIncident.Outcome.RECOVERED,
                client=session.client,
            ),
        )
        check_out(session=session, worker=worker)
    moment = _at(site, door_day, 15, demo.rng.randrange(0, 50))
    with _clock(moment):
        incident = start_incident(site=site, worker=worker)
    with _clock(moment + datetime.timedelta(minutes=45)):
        record_response(
            incident=incident,
            worker=worker,
            response=Response(
                occurred_at=moment - datetime.timedelta(minutes=2),
                signs=[OverdoseIncident.Sign.UNRESPONSIVE, OverdoseIncident.Sign.BLUE_LIPS],
                naloxone_item=naloxone,
                naloxone_doses=2,
                rescue_breathing=True,
                ambulance_called_at=moment,
                ambulance_arrived_at=moment + datetime.timedelta(minutes=17),
                outcome=OverdoseIncident.Outcome.HOSPITAL,
            ),
        )


def _add_events(demo: Demo, restricted: Sequence[datetime.date]) -> None:
    """A self-help group and an overdose-prevention training."""
    site = demo.sites["Sumy room"]
    worker = demo.staff["sumy-worker"]
    days = _past_open_days(demo, site, skip=restricted)
    for day, kind, topic, facilitator, known, anonymous in (
        (
            days[len(days) // 3],
            Event.Kind.SELF_HELP,
            "Self-help group: living with HIV",
            "Peer counsellor",
            5,
            2,
        ),
        (
            days[-2],
            Event.Kind.TRAINING,
            "Overdose prevention: recognising an overdose and giving naloxone",
            "Nurse of the regional AIDS centre",
            7,
            3,
        ),
    ):
        with _clock(_at(site, day, 17)):
            record_event(
                site=site,
                worker=worker,
                kind=kind,
                date=day,
                topic=topic,
                facilitator=facilitator,
                clients=demo.rng.sample(list(demo.clients), known),
                anonymous_count=anonymous,
            )


def _add_tests_referrals_and_art(demo: Demo, restricted: Sequence[datetime.date]) -> None:
    """Rapid tests, a few reactive; referrals from them and others; one client on ART."""
    site = demo.sites["Sumy room"]
    worker = demo.staff["sumy-worker"]
    days = _past_open_days(demo, site, skip=restricted)
    count = max(4, min(12, demo.span // 7))
    picked = sorted(demo.rng.sample(range(len(days)), count))
    clients = demo.rng.sample(list(demo.clients), count + 3)
    results = [Result.REACTIVE] * (count // 4) + [Result.NON_REACTIVE] * (count - 1 - count // 4)
    demo.rng.shuffle(results)
    # The oldest test is a reactive HIV test whose client goes on to ART.
    results.insert(0, Result.REACTIVE)
    tests: list[Test] = []
    for index, result in zip(picked, results, strict=True):
        kit = "HIV rapid test" if not tests or demo.rng.random() < 0.7 else "HCV rapid test"
        with _clock(_at(site, days[index], demo.rng.randint(10, 16), demo.rng.randrange(60))):
            tests.append(
                record_rapid_test(
                    site=site,
                    worker=worker,
                    client=clients[len(tests)],
                    kit=demo.items[kit],
                    result=result,
                    result_given=True,
                    pre_counselling=True,
                    post_counselling=True,
                )
            )
    referrals: list[Referral] = []
    for test in tests:
        if test.is_reactive:
            with _clock(_at(site, test.tested_on, 17, 30)):
                referrals.append(
                    refer_client(
                        site=site,
                        worker=worker,
                        client=test.client,
                        target=Referral.Target.CONFIRMATORY,
                        due_on=test.tested_on + datetime.timedelta(days=14),
                        test=test,
                    )
                )
    first = referrals[0]
    confirmed_on = min(first.issued_on + datetime.timedelta(days=3), demo.today)
    complete_referral(
        referral=first,
        worker=worker,
        completed_on=confirmed_on,
        confirmation=Referral.Confirmation.DOCUMENT,
        outcome=Milestone.Kind.HIV_CONFIRMED,
    )
    start_art(
        site=site,
        worker=worker,
        client=first.client,
        started_on=min(confirmed_on + datetime.timedelta(days=2), demo.today),
        regimen="TDF/3TC/DTG",
        days_per_supply=30,
        next_due_on=min(confirmed_on + datetime.timedelta(days=2), demo.today)
        + datetime.timedelta(days=30),
    )
    _add_other_referrals(demo, clients[count:], days)


def _add_other_referrals(
    demo: Demo, clients: Sequence[Client], days: Sequence[datetime.date]
) -> None:
    """Referrals from a talk rather than a test: one reached, one open, one lost."""
    site = demo.sites["Sumy room"]
    worker = demo.staff["sumy-worker"]
    reached, still_open, lost = clients
    with _clock(_at(site, days[len(days) // 2], 12)):
        done = refer_client(
            site=site,
            worker=worker,
            client=reached,
            target=Referral.Target.OST,
            due_on=days[len(days) // 2] + datetime.timedelta(days=7),
        )
    complete_referral(
        referral=done,
        worker=worker,
        completed_on=done.issued_on + datetime.timedelta(days=2),
        confirmation=Referral.Confirmation.ACCOMPANIED,
    )
    with _clock(_at(site, days[-1], 13)):
        refer_client(
            site=site,
            worker=worker,
            client=still_open,
            target=Referral.Target.SOCIAL,
            due_on=days[-1] + datetime.timedelta(days=10),
        )
    # Issued before the period and never reached: it is lost by now.
    issued = _open_day_before(site, demo.today - datetime.timedelta(days=LOST_AFTER_DAYS + 5))
    with _clock(_at(site, issued, 12)):
        refer_client(
            site=site,
            worker=worker,
            client=lost,
            target=Referral.Target.DOCTOR,
            due_on=issued + datetime.timedelta(days=14),
        )
    mark_lost_referrals(today=demo.today, org_id=demo.org.pk)


# St. Petersburg -----------------------------------------------------------


def add_outreach_activity(demo: Demo) -> None:
    """Case management, the couriers' bags and orders, the buses' stops, web figures."""
    _add_cases(demo)
    bag = _add_courier_bag(demo)
    _add_deliveries(demo, bag)
    _add_bus_stops(demo)
    _add_web_figures(demo)


_FOLLOW_UPS = (
    "Call to ask whether the documents appointment went ahead",
    "Remind about the AIDS centre appointment",
    "Check the place in the OST programme",
    "Send the address of the social services office",
    "Ask how the family meeting went",
)


def _add_cases(demo: Demo) -> None:
    """Open cases for the case manager with goals and remote consultations; one closed."""
    site = demo.sites["Office"]
    manager = demo.staff["spb-case"]
    goal_types = list(GoalType.objects.filter(org=demo.org).order_by("name"))
    topics = list(Topic.objects.filter(org=demo.org).order_by("name"))
    days = _past_open_days(demo, site)
    clients = demo.rng.sample(demo.clients_of("Office"), 5)
    local_today = site.local_date(demo.now)
    for number, client in enumerate(clients):
        opened = demo.rng.randrange(0, len(days) // 2)
        talks = sorted(demo.rng.sample(range(opened + 1, len(days) - 1), 3))
        with _clock(_at(site, days[opened], 10, 30)):
            case = open_case(
                site=site,
                worker=manager,
                client=client,
                manager=manager,
                goal_types=demo.rng.sample(goal_types, demo.rng.randint(1, 2)),
            )
        pending: FollowUp | None = None
        for index, talk in enumerate(talks):
            day = days[talk]
            last = index == len(talks) - 1
            due = day + datetime.timedelta(days=7)
            if last:
                # Due today, overdue, or ahead, so the case manager's list has all three.
                due = (
                    local_today,
                    day + datetime.timedelta(days=1),
                    local_today + datetime.timedelta(days=5),
                    local_today + datetime.timedelta(days=12),
                    local_today + datetime.timedelta(days=3),
                )[number]
            with _clock(_at(site, day, demo.rng.randint(11, 17), demo.rng.randrange(60))):
                if pending is not None:
                    complete_follow_up(follow_up=pending, worker=manager)
                consultation = record_consultation(
                    case=case,
                    worker=manager,
                    channel=demo.rng.choice((Channel.PHONE, Channel.MESSENGER)),
                    topic=demo.rng.choice(topics),
                    minutes=demo.rng.randint(10, 45),
                    note="Talked through the next steps; the client agreed to the plan.",
                    follow_ups=[FollowUpIn(action=_FOLLOW_UPS[number], due_on=due)],
                )
            pending = consultation.follow_ups.get()
        if number == len(clients) - 1:
            _close(demo, case, _at(site, days[talks[-1]], 18, 30))


def _close(demo: Demo, case: Case, moment: datetime.datetime) -> None:
    manager = demo.staff["spb-case"]
    with _clock(moment):
        goals = Goal.objects.filter(case=case)
        update_goals(
            case=case,
            worker=manager,
            statuses={goal.pk: Goal.Status.ACHIEVED for goal in goals},
        )
        close_case(case=case, worker=manager, outcome=Case.Outcome.ACHIEVED)


def _add_courier_bag(demo: Demo) -> Location:
    """The courier's bag, loaded from the hub's store on the last working day."""
    hub = demo.sites["Courier hub"]
    keeper = demo.staff["spb-manager"]
    loaded_on = _open_day_before(hub, hub.local_date(demo.now))
    units: dict[Item, int] = {}
    for kit, count in ((INJECTING_KIT, 6), (SAFER_SEX_KIT, 3)):
        for component in demo.kits[kit].components.all():
            units[component.item] = units.get(component.item, 0) + component.quantity * count
    with _clock(_at(hub, loaded_on, 10)):
        bag = save_location(
            location=Location(
                org=demo.org,
                site=hub,
                name="Courier bag (spb-courier)",
                kind=Location.Kind.COURIER_BAG,
                holder=demo.staff["spb-courier"],
            ),
            worker=keeper,
        )
        send_transfer(
            source=store_of(hub),
            destination=bag,
            lines=[(item, units[item]) for item in sorted(units, key=lambda item: item.name)],
            worker=keeper,
            occurred_on=loaded_on,
            note="Bag loaded for the week's deliveries",
            received_now=True,
        )
    return bag


def _order(
    demo: Demo,
    client: Client,
    window: Window,
    kits: Sequence[tuple[str, int]],
    *,
    approve: bool = True,
    via: str = Channel.PHONE,
) -> DeliveryOrder:
    hub = demo.sites["Courier hub"]
    dispatcher = demo.staff["spb-manager"]
    order = create_delivery_order(
        site=hub,
        worker=dispatcher,
        request=OrderRequest(
            window=window,
            place_kind=DeliveryOrder.PlaceKind.MEETING_POINT,
            place=demo.rng.choice(
                (
                    "Ladozhskaya metro, by the exit to the station",
                    "Devyatkino metro, bus terminal",
                    "Prospekt Veteranov metro, by the pharmacy",
                    "Sennaya square, by the clock",
                )
            ),
            reach="Phone call ten minutes before",
            kits=[(demo.kits[name], count) for name, count in kits],
            client=client,
            requested_via=via,
        ),
    )
    if approve:
        order = approve_delivery(order=order, worker=dispatcher)
    return order


def _assign(demo: Demo, order: DeliveryOrder, *, out: bool = False) -> DeliveryOrder:
    courier = demo.staff["spb-courier"]
    order = assign_courier(order=order, courier=courier, worker=demo.staff["spb-manager"])
    return mark_out(order=order, courier=courier) if out else order


def _add_deliveries(demo: Demo, bag: Location) -> None:
    """Yesterday's delivered and failed orders; today's orders in every open status."""
    hub = demo.sites["Courier hub"]
    courier = demo.staff["spb-courier"]
    clients = demo.rng.sample(demo.clients_of("Courier hub"), 5)
    day = _open_day_before(hub, hub.local_date(demo.now))
    hours = datetime.time
    with _clock(_at(hub, day, 10, 30)):
        delivered = _assign(
            demo,
            _order(demo, clients[0], Window(day, hours(12), hours(15)), [(INJECTING_KIT, 2)]),
            out=True,
        )
        failed = _assign(
            demo,
            _order(demo, clients[1], Window(day, hours(15), hours(18)), [(SAFER_SEX_KIT, 1)]),
            out=True,
        )
    with _clock(_at(hub, day, 13, 20)):
        mark_delivered(order=delivered, courier=courier)
    with _clock(_at(hub, day, 17, 40)):
        mark_failed(order=failed, courier=courier, reason=DeliveryOrder.FailureReason.NOT_THERE)
    today = hub.local_date(demo.now)
    with _clock(_this_morning(hub, demo.now)):
        retry_delivery(
            order=failed,
            worker=demo.staff["spb-manager"],
            window=Window(today, hours(16), hours(18)),
        )
        _order(
            demo,
            clients[2],
            Window(today, hours(14), hours(16)),
            [(INJECTING_KIT, 1)],
            approve=False,
            via=Channel.MESSENGER,
        )
        _assign(
            demo,
            _order(demo, clients[3], Window(today, hours(12), hours(14)), [(INJECTING_KIT, 1)]),
        )
        _assign(
            demo,
            _order(demo, clients[4], Window(today, hours(11), hours(13)), [(INJECTING_KIT, 2)]),
            out=True,
        )


_STOPS = {
    "Blue Bus": (
        "Ladozhskaya metro, car park by the station",
        "Prospekt Bolshevikov metro, by the market",
        "Ulitsa Dybenko metro, south exit",
    ),
    "Little Bus": (
        "Kupchino metro, by the railway bridge",
        "Zvezdnaya metro, by the shopping centre",
        "Obukhovo railway station",
    ),
}


def _add_bus_stops(demo: Demo) -> None:
    """Each bus's stops for today and the coming week, two a working day."""
    keeper = demo.staff["spb-manager"]
    for name, places in _STOPS.items():
        site = demo.sites[name]
        today = site.local_date(demo.now)
        with _clock(_this_morning(site, demo.now)):
            unit = save_location(
                location=Location(
                    org=demo.org,
                    site=site,
                    name=f"{name} (vehicle)",
                    kind=Location.Kind.MOBILE_UNIT,
                ),
                worker=keeper,
            )
            open_days = _open_days(site)
            for offset in range(7):
                day = today + datetime.timedelta(days=offset)
                if day.weekday() not in open_days:
                    continue
                for starts, ends in ((15, 17), (18, 21)):
                    plan_stop(
                        unit=unit,
                        worker=keeper,
                        place=demo.rng.choice(places),
                        date=day,
                        starts=datetime.time(starts),
                        ends=datetime.time(ends, 0 if ends == 21 else 45),
                    )


def _add_web_figures(demo: Demo) -> None:
    """Last month's figures of the Telegram channel and the peer chat."""
    month = (demo.today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    for name, kind, audience, consultations in (
        (
            "Telegram channel “Safer use SPb”",
            WebOutreachFigures.Kind.CHANNEL,
            (1800, 2600),
            (10, 30),
        ),
        ("Peer support chat", WebOutreachFigures.Kind.CHAT, (300, 450), (60, 140)),
    ):
        record_web_figures(
            org_id=demo.org.pk,
            worker=demo.staff["spb-outreach"],
            month=month,
            name=name,
            kind=kind,
            audience=demo.rng.randint(*audience),
            consultations=demo.rng.randint(*consultations),
        )
