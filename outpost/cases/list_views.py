"""The manager's lists of case goals and consultation topics."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from outpost.cases.access import get_goal_type_for_user, get_topic_for_user
from outpost.cases.actions import save_list_entry
from outpost.cases.forms import ListEntryForm
from outpost.cases.models import GoalType, Topic
from outpost.core.errors import DomainError
from outpost.core.pages import form_page, posted
from outpost.core.roles import Perm
from outpost.orgs.access import AuthedRequest, requires


@requires(Perm.MANAGE_CATALOGUE)
def lists(request: AuthedRequest) -> HttpResponse:
    org_id = request.membership.org_id
    context = {
        "goal_types": GoalType.objects.filter(org_id=org_id),
        "topics": Topic.objects.filter(org_id=org_id),
    }
    return TemplateResponse(request, "cases/lists.html", context)


@requires(Perm.MANAGE_CATALOGUE)
def goal_type_new(request: AuthedRequest) -> HttpResponse:
    return _entry_page(request, GoalType(org_id=request.membership.org_id))


@requires(Perm.MANAGE_CATALOGUE)
def goal_type_edit(request: AuthedRequest, goal_type_id: int) -> HttpResponse:
    return _entry_page(request, get_goal_type_for_user(request, goal_type_id))


@requires(Perm.MANAGE_CATALOGUE)
def topic_new(request: AuthedRequest) -> HttpResponse:
    return _entry_page(request, Topic(org_id=request.membership.org_id))


@requires(Perm.MANAGE_CATALOGUE)
def topic_edit(request: AuthedRequest, topic_id: int) -> HttpResponse:
    return _entry_page(request, get_topic_for_user(request, topic_id))


def _entry_page(request: AuthedRequest, entry: GoalType | Topic) -> HttpResponse:
    initial = {"name": entry.name, "is_active": entry.is_active} if entry.pk else None
    form = ListEntryForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            save_list_entry(
                entry=entry,
                worker=request.user,
                name=form.cleaned_data["name"],
                is_active=form.cleaned_data["is_active"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The list is saved."))
            return redirect("cases:lists")
    context = {"form": form, "entry": entry, "is_goal": isinstance(entry, GoalType)}
    return form_page(request, "cases/list_entry_form.html", context)
