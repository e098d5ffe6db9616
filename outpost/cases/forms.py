import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from outpost.cases.actions import FollowUpIn
from outpost.cases.models import (
    CONSULTATION_CHANNELS,
    MAX_DURATION_MINUTES,
    NOTE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Case,
    Goal,
    GoalType,
    Topic,
)
from outpost.orgs.models import User
from outpost.testing.forms import KeyedForm

FOLLOW_UP_ROWS = 3

if TYPE_CHECKING:
    UserChoiceBase = forms.ModelChoiceField[User]
    TopicChoiceBase = forms.ModelChoiceField[Topic]
    GoalTypesChoiceBase = forms.ModelMultipleChoiceField[GoalType]
else:
    # django-stubs' generics are not subscriptable at run time.
    UserChoiceBase = TopicChoiceBase = forms.ModelChoiceField
    GoalTypesChoiceBase = forms.ModelMultipleChoiceField


class StaffField(UserChoiceBase):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


class TopicField(TopicChoiceBase):
    def label_from_instance(self, obj: Topic) -> str:
        return obj.display_name


class GoalTypesField(GoalTypesChoiceBase):
    def label_from_instance(self, obj: GoalType) -> str:
        return obj.display_name


def _date_input(today: datetime.date | None = None) -> forms.DateInput:
    attrs = {"type": "date"}
    if today is not None:
        attrs["min"] = today.isoformat()
    return forms.DateInput(attrs=attrs)


class GoalsMixin(forms.Form):
    goal_types = GoalTypesField(
        label=_("Goals"),
        queryset=GoalType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    own_goal = forms.CharField(
        label=_("Another goal, in your words"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        help_text=_("Only case managers can read it; it is stored encrypted."),
    )

    def offer_goal_types(self, org_id: int, *, leave_out: Sequence[int] = ()) -> None:
        field = self.fields["goal_types"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101
        field.queryset = GoalType.objects.filter(org_id=org_id, is_active=True).exclude(
            pk__in=leave_out
        )


class OpenCaseForm(KeyedForm, GoalsMixin):
    manager = StaffField(label=_("Case manager in charge"), queryset=User.objects.none())

    def __init__(
        self, data: QueryDict | None = None, *, org_id: int, staff: QuerySet[User], me: User
    ) -> None:
        super().__init__(data, initial={"manager": me.pk})
        self.offer_goal_types(org_id)
        manager_field = self.fields["manager"]
        assert isinstance(manager_field, forms.ModelChoiceField)  # noqa: S101
        manager_field.queryset = staff
        manager_field.empty_label = None


class GoalsForm(GoalsMixin):
    """A status for each goal of a case, and goals to add."""

    def __init__(self, data: QueryDict | None = None, *, case: Case, goals: Sequence[Goal]):
        super().__init__(data)
        self.goals = list(goals)
        for goal in self.goals:
            self.fields[f"status_{goal.pk}"] = forms.ChoiceField(
                label=str(goal.goal_type or _("Goal in your words")),
                choices=Goal.Status.choices,
                initial=goal.status,
            )
        self.offer_goal_types(
            case.org_id, leave_out=[goal.goal_type_id for goal in self.goals if goal.goal_type_id]
        )

    def statuses(self) -> dict[int, str]:
        return {goal.pk: self.cleaned_data[f"status_{goal.pk}"] for goal in self.goals}

    def status_field(self, goal: Goal) -> forms.BoundField:
        return self[f"status_{goal.pk}"]


class ConsultationForm(KeyedForm):
    channel = forms.ChoiceField(label=_("Channel"), widget=forms.RadioSelect)
    topic = TopicField(label=_("Topic"), queryset=Topic.objects.none(), empty_label=None)
    minutes = forms.IntegerField(
        label=_("Duration in minutes"),
        min_value=1,
        max_value=MAX_DURATION_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(
        label=_("Short note"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Only case managers and managers can read it; it is stored encrypted. "
            "No names or addresses."
        ),
    )

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        org_id: int,
        channels: Sequence[str],
        today: datetime.date,
        initial: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        channel_field = self.fields["channel"]
        assert isinstance(channel_field, forms.ChoiceField)  # noqa: S101
        channel_field.choices = [
            (channel, label)
            for channel, label in CONSULTATION_CHANNELS.items()
            if channel in channels
        ]
        topic_field = self.fields["topic"]
        assert isinstance(topic_field, forms.ModelChoiceField)  # noqa: S101
        topic_field.queryset = Topic.objects.filter(org_id=org_id, is_active=True)
        for row in range(1, FOLLOW_UP_ROWS + 1):
            self.fields[f"follow_up_{row}"] = forms.CharField(
                label=_("Follow-up"), max_length=TEXT_MAX_LENGTH, required=False
            )
            self.fields[f"due_{row}"] = forms.DateField(
                label=_("Due on"), required=False, widget=_date_input(today)
            )

    def follow_up_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"follow_up_{row}"], self[f"due_{row}"]) for row in range(1, FOLLOW_UP_ROWS + 1)
        ]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        for row in range(1, FOLLOW_UP_ROWS + 1):
            action, due = data.get(f"follow_up_{row}"), data.get(f"due_{row}")
            if action and not due:
                self.add_error(f"due_{row}", _("Give the follow-up a due date."))
            if due and not action:
                self.add_error(f"follow_up_{row}", _("Say what is to be done."))
        return data

    def follow_ups(self) -> list[FollowUpIn]:
        data = self.cleaned_data
        return [
            FollowUpIn(action=data[f"follow_up_{row}"], due_on=data[f"due_{row}"])
            for row in range(1, FOLLOW_UP_ROWS + 1)
            if data.get(f"follow_up_{row}")
        ]


class CloseCaseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How did the case end?"), choices=Case.Outcome.choices, widget=forms.RadioSelect
    )


class ReassignForm(forms.Form):
    cases = forms.ModelMultipleChoiceField(
        label=_("Cases"),
        queryset=Case.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    manager = StaffField(label=_("Hand over to"), queryset=User.objects.none())

    def __init__(
        self, data: QueryDict | None = None, *, cases: QuerySet[Case], staff: QuerySet[User]
    ) -> None:
        super().__init__(data)
        cases_field = self.fields["cases"]
        manager_field = self.fields["manager"]
        assert isinstance(cases_field, forms.ModelMultipleChoiceField)  # noqa: S101
        assert isinstance(manager_field, forms.ModelChoiceField)  # noqa: S101
        cases_field.queryset = cases
        manager_field.queryset = staff


class ListEntryForm(forms.Form):
    """A goal or topic of the organisation's list: its name, and whether it is in use."""

    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)
