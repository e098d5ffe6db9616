"""Writes of case management: cases, goals, consultations and follow-ups.

A consultation is a contact (SPEC §2) on its channel, recorded through
``record_contact`` in the same transaction, so the contact counts in every
indicator and the consultation adds what case management needs on top.
Every check runs before the first write, and the transaction undoes the
rest if a late one fails: nothing of a refused entry is saved.
"""

import datetime
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from outpost.cases import defaults
from outpost.cases.models import (
    CONSULTATION_CHANNELS,
    MAX_DURATION_MINUTES,
    NOTE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Case,
    Consultation,
    FollowUp,
    Goal,
    GoalType,
    Topic,
)
from outpost.cases.notes import seal
from outpost.clients.models import Client
from outpost.contacts.actions import Handout, record_contact
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.core.idempotency import earlier_row, save_once
from outpost.core.roles import ROLE_PERMS, Perm
from outpost.orgs.models import Organisation, Site, User

# A follow-up further ahead than this is a plan, not a follow-up.
FOLLOW_UP_HORIZON_DAYS = 365


@dataclass(frozen=True)
class FollowUpIn:
    """A follow-up action asked for at a consultation."""

    action: str
    due_on: datetime.date


def case_manager_roles() -> list[str]:
    return [role for role, perms in ROLE_PERMS.items() if Perm.MANAGE_CASES in perms]


def case_managers(org_id: int) -> QuerySet[User]:
    """Active staff of the organisation who may be in charge of a case."""
    return User.objects.filter(
        is_active=True,
        memberships__org_id=org_id,
        memberships__role__in=case_manager_roles(),
    ).order_by("username")


@transaction.atomic
def install_case_lists(*, org: Organisation) -> None:
    """Give an organisation the default goals and topics; safe to run again."""
    for name in defaults.GOAL_TYPES:
        GoalType.objects.get_or_create(org=org, name=name)
    for name in defaults.TOPICS:
        Topic.objects.get_or_create(org=org, name=name)


@transaction.atomic
def save_list_entry(
    *, entry: GoalType | Topic, worker: User, name: str, is_active: bool
) -> GoalType | Topic:
    """Add or change a goal or topic of the organisation's list.

    Nothing is deleted, because cases refer to the entries: an entry no
    longer wanted is taken out of use.
    """
    name = name.strip()
    if not name:
        raise DomainError(gettext("Give the entry a name."))
    others = type(entry).objects.filter(org_id=entry.org_id, name__iexact=name)
    if others.exclude(pk=entry.pk).exists():
        raise DomainError(gettext("Your organisation's list already has this name."))
    entry.name = name
    entry.is_active = is_active
    entry.save()
    audit(actor_id=worker.pk, org_id=entry.org_id, verb="case_lists.changed", target=entry)
    return entry


@transaction.atomic
def open_case(
    *,
    site: Site,
    worker: User,
    client: Client,
    manager: User,
    goal_types: Sequence[GoalType],
    own_goal: str = "",
    idempotency_key: uuid.UUID | None = None,
) -> Case:
    """Open a case for a client with its goals and the case manager in charge."""
    earlier = earlier_row(Case, idempotency_key, org_id=site.org_id)
    if earlier is not None:
        return earlier
    if client.org_id != site.org_id:
        raise DomainError(gettext("That client is not known here."))
    _check_manager(site.org_id, manager)
    own_goal = own_goal.strip()
    _check_goals(site.org_id, goal_types, own_goal)
    if not goal_types and not own_goal:
        raise DomainError(gettext("Choose at least one goal, or write one in your words."))
    _check_no_open_case(client)
    today = site.local_today()
    case = Case(
        org_id=site.org_id,
        site=site,
        client=client,
        manager=manager,
        opened_on=today,
        opened_by=worker,
        idempotency_key=idempotency_key,
    )
    saved = _save_open_case(case)
    if saved is not case:
        return saved
    _add_goals(case, goal_types, own_goal, today)
    audit(actor_id=worker.pk, org_id=site.org_id, verb="case.opened", target=case)
    return case


@transaction.atomic
def update_goals(
    *,
    case: Case,
    worker: User,
    statuses: Mapping[int, str],
    goal_types: Sequence[GoalType] = (),
    own_goal: str = "",
) -> Case:
    """Change the status of a case's goals and add new ones."""
    locked = _locked_open_case(case)
    own_goal = own_goal.strip()
    _check_goals(locked.org_id, goal_types, own_goal)
    if any(status not in Goal.Status.values for status in statuses.values()):
        raise DomainError(gettext("Choose a status for each goal."))
    today = locked.site.local_today()
    goals = {goal.pk: goal for goal in Goal.objects.filter(case=locked, pk__in=list(statuses))}
    if len(goals) != len(statuses):
        raise DomainError(gettext("A goal is not part of this case."))
    changed = [goal for pk, goal in goals.items() if goal.status != statuses[pk]]
    for goal in changed:
        goal.status = statuses[goal.pk]
        goal.status_on = today
    Goal.objects.bulk_update(changed, ["status", "status_on"])
    _add_goals(locked, goal_types, own_goal, today)
    if changed or goal_types or own_goal:
        audit(actor_id=worker.pk, org_id=locked.org_id, verb="case.goals_changed", target=locked)
    return locked


@transaction.atomic
def record_consultation(
    *,
    case: Case,
    worker: User,
    channel: str,
    topic: Topic,
    minutes: int,
    note: str = "",
    follow_ups: Sequence[FollowUpIn] = (),
    idempotency_key: uuid.UUID | None = None,
) -> Consultation:
    """Record a consultation as a contact on its channel, with its note and follow-ups.

    A retried request with the same key returns the consultation saved the
    first time.
    """
    earlier = earlier_row(Consultation, idempotency_key, org_id=case.org_id)
    if earlier is not None:
        return earlier
    locked = _locked_open_case(case)
    today = locked.site.local_today()
    note = note.strip()
    _check_consultation(locked, channel, topic, minutes, note)
    _check_follow_ups(follow_ups, today)
    contact = record_contact(
        site=locked.site,
        worker=worker,
        channel=channel,
        client=locked.client,
        handout=Handout(),
        idempotency_key=idempotency_key,
    )
    consultation = Consultation(
        org_id=locked.org_id,
        case=locked,
        contact=contact,
        topic=topic,
        minutes=minutes,
        recorded_by=worker,
        idempotency_key=idempotency_key,
    )
    saved = save_once(consultation)
    if saved is not consultation:
        return saved
    seal(consultation, note)
    for wanted in follow_ups:
        follow_up = FollowUp.objects.create(
            org_id=locked.org_id, case=locked, consultation=consultation, due_on=wanted.due_on
        )
        seal(follow_up, wanted.action.strip())
    audit(
        actor_id=worker.pk,
        org_id=locked.org_id,
        verb="consultation.recorded",
        target=consultation,
    )
    return consultation


@transaction.atomic
def complete_follow_up(*, follow_up: FollowUp, worker: User) -> FollowUp:
    """Mark a follow-up done today."""
    locked = FollowUp.objects.select_for_update().select_related("case__site").get(pk=follow_up.pk)
    if locked.done_on is not None:
        raise DomainError(gettext("This follow-up is already done."))
    if locked.cancelled_on is not None:
        raise DomainError(gettext("This follow-up was cancelled when its case closed."))
    locked.done_on = locked.case.site.local_today()
    locked.done_by = worker
    locked.save(update_fields=["done_on", "done_by"])
    audit(actor_id=worker.pk, org_id=locked.org_id, verb="follow_up.completed", target=locked)
    return locked


@transaction.atomic
def close_case(*, case: Case, worker: User, outcome: str) -> Case:
    """Close a case with its outcome.

    Goals still being worked on are marked not achieved, and follow-ups
    still to do are cancelled, so nothing of a closed case stays due.
    """
    locked = _locked_open_case(case)
    if outcome not in Case.Outcome.values:
        raise DomainError(gettext("Choose how the case ended."))
    today = locked.site.local_today()
    locked.closed_on = today
    locked.outcome = outcome
    locked.save(update_fields=["closed_on", "outcome"])
    Goal.objects.filter(case=locked, status=Goal.Status.WORKING).update(
        status=Goal.Status.NOT_ACHIEVED, status_on=today
    )
    FollowUp.objects.pending().filter(case=locked).update(cancelled_on=today)
    audit(actor_id=worker.pk, org_id=locked.org_id, verb="case.closed", target=locked)
    return locked


@transaction.atomic
def reassign_cases(
    *, org_id: int, cases: Sequence[Case], worker: User, manager: User
) -> list[Case]:
    """Put other open cases in the charge of ``manager``; one audit entry per case."""
    _check_manager(org_id, manager)
    if not cases:
        raise DomainError(gettext("Choose the cases to hand over."))
    locked = list(
        Case.objects.select_for_update()
        .filter(pk__in=[case.pk for case in cases], org_id=org_id)
        .order_by("pk")
    )
    if len(locked) != len(cases) or any(not case.is_open for case in locked):
        raise DomainError(gettext("Only open cases of your organisation can be handed over."))
    moving = [case for case in locked if case.manager_id != manager.pk]
    for case in moving:
        case.manager = manager
    Case.objects.bulk_update(moving, ["manager"])
    for case in moving:
        audit(actor_id=worker.pk, org_id=org_id, verb="case.reassigned", target=case)
    return moving


@transaction.atomic
def purge_case_texts(*, today: datetime.date) -> int:
    """Erase the free text of cases closed longer ago than the retention limit.

    Goals, consultations and follow-ups stay, so the figures do not change;
    only what the case manager wrote in their own words goes.
    """
    cutoff = today - datetime.timedelta(days=settings.CASE_NOTES_RETENTION_DAYS)
    closed = Case.objects.filter(closed_on__lt=cutoff)
    return (
        Goal.objects.filter(case__in=closed, text__isnull=False).update(text=None)
        + Consultation.objects.filter(case__in=closed, note__isnull=False).update(note=None)
        + FollowUp.objects.filter(case__in=closed, action__isnull=False).update(action=None)
    )


def _check_no_open_case(client: Client) -> None:
    if Case.objects.open().filter(client=client).exists():
        raise DomainError(gettext("This client already has an open case."))


def _save_open_case(case: Case) -> Case:
    """Save a new case, or explain the open case a racing request made first."""
    try:
        return save_once(case)
    except IntegrityError as error:
        raise DomainError(gettext("This client already has an open case.")) from error


def _locked_open_case(case: Case) -> Case:
    locked = Case.objects.select_for_update().select_related("site", "client").get(pk=case.pk)
    if not locked.is_open:
        raise DomainError(
            gettext("This case was closed on %(date)s: nothing more is recorded in it.")
            % {"date": locked.closed_on.isoformat() if locked.closed_on else ""}
        )
    return locked


def _add_goals(
    case: Case, goal_types: Sequence[GoalType], own_goal: str, today: datetime.date
) -> None:
    Goal.objects.bulk_create(
        Goal(case=case, goal_type=goal_type, status_on=today)
        for goal_type in {goal_type.pk: goal_type for goal_type in goal_types}.values()
    )
    if own_goal:
        seal(Goal.objects.create(case=case, status_on=today), own_goal)


def _check_manager(org_id: int, manager: User) -> None:
    if not case_managers(org_id).filter(pk=manager.pk).exists():
        raise DomainError(gettext("Choose a case manager of your organisation."))


def _check_goals(org_id: int, goal_types: Sequence[GoalType], own_goal: str) -> None:
    if any(goal.org_id != org_id or not goal.is_active for goal in goal_types):
        raise DomainError(gettext("A goal is not in your organisation's list."))
    if len(own_goal) > TEXT_MAX_LENGTH:
        raise DomainError(
            gettext("A goal in your words can be at most %(max)d characters long.")
            % {"max": TEXT_MAX_LENGTH}
        )


def _check_consultation(case: Case, channel: str, topic: Topic, minutes: int, note: str) -> None:
    if channel not in CONSULTATION_CHANNELS:
        raise DomainError(gettext("A consultation is in person, by phone or by messenger."))
    if topic.org_id != case.org_id or not topic.is_active:
        raise DomainError(gettext("Choose a topic from your organisation's list."))
    if not 1 <= minutes <= MAX_DURATION_MINUTES:
        raise DomainError(
            gettext("A consultation lasts between 1 and %(max)d minutes.")
            % {"max": MAX_DURATION_MINUTES}
        )
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(
            gettext("The note can be at most %(max)d characters long; it has %(length)d.")
            % {"max": NOTE_MAX_LENGTH, "length": len(note)}
        )


def _check_follow_ups(follow_ups: Sequence[FollowUpIn], today: datetime.date) -> None:
    for follow_up in follow_ups:
        action = follow_up.action.strip()
        if not action:
            raise DomainError(gettext("Say what is to be done for each follow-up."))
        if len(action) > TEXT_MAX_LENGTH:
            raise DomainError(
                gettext("A follow-up can be at most %(max)d characters long.")
                % {"max": TEXT_MAX_LENGTH}
            )
        if follow_up.due_on < today:
            raise DomainError(
                gettext("A follow-up cannot be due in the past (%(date)s is before today).")
                % {"date": follow_up.due_on.isoformat()}
            )
        if follow_up.due_on > today + datetime.timedelta(FOLLOW_UP_HORIZON_DAYS):
            raise DomainError(
                gettext("A follow-up must be due within %(days)d days.")
                % {"days": FOLLOW_UP_HORIZON_DAYS}
            )
