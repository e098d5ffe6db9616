"""Cases written straight to the tables, for datasets worked out by hand and
for pages measured with many rows. Tests of the actions call the actions."""

import datetime

from django.utils import timezone

from outpost.cases.models import Case, Consultation, FollowUp, Goal, GoalType, Topic
from outpost.clients.models import Client
from outpost.contacts.models import Contact
from outpost.orgs.models import Site, User


def make_case(
    site: Site,
    client: Client,
    manager: User,
    opened_on: datetime.date,
    *,
    goal_types: tuple[GoalType, ...] = (),
    closed_on: datetime.date | None = None,
    outcome: str = "",
) -> Case:
    case = Case.objects.create(
        org_id=site.org_id,
        site=site,
        client=client,
        manager=manager,
        opened_on=opened_on,
        opened_by=manager,
        closed_on=closed_on,
        outcome=outcome or ("achieved" if closed_on else ""),
    )
    for goal_type in goal_types:
        Goal.objects.create(case=case, goal_type=goal_type, status_on=opened_on)
    return case


def make_consultation(
    case: Case,
    topic: Topic,
    date: datetime.date,
    *,
    channel: str = "phone",
    minutes: int = 10,
    due_on: datetime.date | None = None,
) -> Consultation:
    moment = timezone.make_aware(datetime.datetime.combine(date, datetime.time(11)))
    contact = Contact.objects.create(
        org_id=case.org_id,
        site_id=case.site_id,
        client_id=case.client_id,
        channel=channel,
        occurred_at=moment,
        date=date,
        worker=case.manager,
    )
    consultation = Consultation.objects.create(
        org_id=case.org_id,
        case=case,
        contact=contact,
        topic=topic,
        minutes=minutes,
        recorded_by=case.manager,
    )
    if due_on is not None:
        FollowUp.objects.create(
            org_id=case.org_id, case=case, consultation=consultation, due_on=due_on
        )
    return consultation


def route_samples(site: Site, client: Client) -> dict[str, int]:
    """An open case with a follow-up due, and its case manager, for the route walk."""
    from outpost.cases.actions import install_case_lists
    from outpost.core.roles import Role
    from outpost.core.tests.base import make_staff

    install_case_lists(org=site.org)
    case_manager = make_staff(site.org, "cases-route", Role.CASE_MANAGER, site)
    goal_type = GoalType.objects.filter(org_id=site.org_id).first()
    topic = Topic.objects.filter(org_id=site.org_id).first()
    assert goal_type is not None and topic is not None
    case = make_case(site, client, case_manager, site.local_today(), goal_types=(goal_type,))
    consultation = make_consultation(case, topic, site.local_today(), due_on=site.local_today())
    return {
        "case_id": case.pk,
        "follow_up_id": consultation.follow_ups.get().pk,
        "staff_id": case_manager.pk,
        "goal_type_id": goal_type.pk,
        "topic_id": topic.pk,
    }
