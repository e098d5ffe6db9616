"""The manager's report settings: defined package, donor codes, population estimates.

These are configuration an organisation edits (SPEC §3.2): every row is
the membership's organisation's, and another organisation's row answers
404. Each page is one URL; removing a row is a POST naming its id.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from outpost.catalogue.models import ItemCategory, ServiceType
from outpost.core.pages import form_page, posted
from outpost.core.periods import Period
from outpost.core.roles import Perm
from outpost.orgs.access import AuthedRequest, requires
from outpost.orgs.models import Site
from outpost.reports import package as default
from outpost.reports.actions import (
    PACKAGE_CATEGORIES,
    ConfigurationRefused,
    add_indicator_code,
    remove_indicator_code,
    remove_population_estimate,
    restore_default_package,
    save_package,
    save_population_estimate,
)
from outpost.reports.config_forms import (
    ComponentFormSet,
    IndicatorCodeForm,
    PackageForm,
    PopulationEstimateForm,
)
from outpost.reports.definitions import INDICATORS, MEASURES_BY_ID, Measure
from outpost.reports.indicators import scope_of, syringes_per_pwid
from outpost.reports.models import IndicatorCode, Package, PackageComponent, PopulationEstimate


@dataclass
class PackageSummary:
    """The package in force, in words, and as the form's starting rows."""

    name: str
    is_default: bool
    lines: list[str] = field(default_factory=list)
    initial: list[dict[str, object]] = field(default_factory=list)
    # The default asks for counselling, which this catalogue lacks.
    cannot_be_met: bool = False


@dataclass(frozen=True)
class PerPerson:
    """Syringes per person who injects over 12 months, and the two counts behind it."""

    value: float | None
    syringes: int
    people: int


def get_indicator_code_for_user(request: AuthedRequest, pk: int) -> IndicatorCode:
    return get_object_or_404(IndicatorCode, pk=pk, org_id=request.membership.org_id)


def get_population_estimate_for_user(request: AuthedRequest, pk: int) -> PopulationEstimate:
    return get_object_or_404(PopulationEstimate, pk=pk, org_id=request.membership.org_id)


@require_http_methods(["GET"])
@requires(Perm.CONFIGURE_REPORTS)
def settings_page(request: AuthedRequest) -> HttpResponse:
    """What the organisation has configured, with a link to change each part."""
    org_id = request.membership.org_id
    context = {
        "package": package_summary(org_id),
        "codes": _code_rows(org_id),
        "estimates": _estimates(org_id),
    }
    return TemplateResponse(request, "reports/settings.html", context)


@require_http_methods(["GET", "POST"])
@requires(Perm.CONFIGURE_REPORTS)
def package(request: AuthedRequest) -> HttpResponseBase:
    """Show the package in force and replace its name and components."""
    org = request.membership.org
    if request.method == "POST" and "restore" in request.POST:
        if restore_default_package(org=org, worker=request.user):
            messages.success(request, _("The default package applies again."))
        return redirect("reports:package")
    summary = package_summary(org.pk)
    data = posted(request)
    form = PackageForm(data, initial={"name": summary.name})
    formset = ComponentFormSet(
        data,
        initial=summary.initial,
        category_choices=_category_choices(),
        service_choices=_service_choices(org.pk),
    )
    if data is not None and all([form.is_valid(), formset.is_valid()]):
        try:
            save_package(
                org=org,
                name=form.cleaned_data["name"],
                components=formset.components(),
                worker=request.user,
            )
        except ConfigurationRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("The package is saved."))
            return redirect("reports:package")
    context = {"summary": summary, "form": form, "formset": formset}
    return form_page(request, "reports/settings_package.html", context)


@require_http_methods(["GET", "POST"])
@requires(Perm.CONFIGURE_REPORTS)
def codes(request: AuthedRequest) -> HttpResponseBase:
    """List, add and remove the donor codes attached to indicators."""
    org = request.membership.org
    if request.method == "POST" and "remove" in request.POST:
        row = get_indicator_code_for_user(request, _posted_id(request, "remove"))
        remove_indicator_code(row=row, worker=request.user)
        messages.success(request, _("The donor code is removed."))
        return redirect("reports:codes")
    form = IndicatorCodeForm(posted(request), org_id=org.pk)
    if form.is_bound and form.is_valid():
        try:
            add_indicator_code(
                org=org,
                indicator=form.cleaned_data["indicator"],
                code=form.cleaned_data["code"],
                label=form.cleaned_data["label"],
                worker=request.user,
            )
        except ConfigurationRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("The donor code is added."))
            return redirect("reports:codes")
    context = {"form": form, "codes": _code_rows(org.pk), "indicators": _indicators()}
    return form_page(request, "reports/settings_codes.html", context)


@require_http_methods(["GET", "POST"])
@requires(Perm.CONFIGURE_REPORTS)
def population(request: AuthedRequest) -> HttpResponseBase:
    """List, add, change and remove population size estimates.

    ``?edit=<id>`` opens an estimate in the form; the form posts its id
    back as ``estimate``.
    """
    org_id = request.membership.org_id
    if request.method == "POST" and "remove" in request.POST:
        estimate = get_population_estimate_for_user(request, _posted_id(request, "remove"))
        remove_population_estimate(estimate=estimate, worker=request.user)
        messages.success(request, _("The estimate is removed."))
        return redirect("reports:population")
    editing = _estimate_being_edited(request)
    instance = editing or PopulationEstimate(org_id=org_id)
    form = PopulationEstimateForm(posted(request), instance=instance)
    if form.is_bound and form.is_valid():
        save_population_estimate(
            estimate=form.save(commit=False),
            sites=list(form.cleaned_data["sites"]),
            worker=request.user,
        )
        messages.success(request, _("The estimate is saved."))
        return redirect("reports:population")
    context = {
        "form": form,
        "editing": editing,
        "estimates": _estimates(org_id),
        "per_person": _per_person(org_id, request.membership.local_today()),
    }
    return form_page(request, "reports/settings_population.html", context)


# The package ------------------------------------------------------------


def package_summary(org_id: int) -> PackageSummary:
    """The organisation's saved package, or the default one (SPEC §3.2)."""
    components = PackageComponent.objects.select_related("service_type").prefetch_related(
        Prefetch("categories", queryset=ItemCategory.objects.order_by("code"))
    )
    saved = (
        Package.objects.filter(org_id=org_id)
        .prefetch_related(Prefetch("components", queryset=components.order_by("pk")))
        .first()
    )
    if saved is not None:
        summary = PackageSummary(name=saved.name, is_default=False)
        for component in saved.components.all():
            if component.service_type is not None:
                _add_service(summary, component.service_type)
            else:
                categories = list(component.categories.all())
                _add_items(summary, categories, component.minimum)
        return summary
    return _default_summary(org_id)


def _default_summary(org_id: int) -> PackageSummary:
    summary = PackageSummary(name=str(default.DEFAULT_NAME), is_default=True)
    wanted = {code for codes, _minimum in default.DEFAULT_ITEMS for code in codes}
    names = {row.code: row for row in ItemCategory.objects.filter(code__in=wanted)}
    for codes, minimum in default.DEFAULT_ITEMS:
        _add_items(summary, [names[code] for code in sorted(codes) if code in names], minimum)
    counselling = ServiceType.objects.filter(org_id=org_id, code=default.DEFAULT_SERVICE).first()
    if counselling is None:
        summary.cannot_be_met = True
        summary.lines.append(_("Service: counselling"))
    else:
        _add_service(summary, counselling)
    return summary


def _add_items(summary: PackageSummary, categories: list[ItemCategory], minimum: int) -> None:
    what = " + ".join(category.display_name for category in categories)
    summary.lines.append(
        ngettext("%(what)s: at least %(n)d unit", "%(what)s: at least %(n)d units", minimum)
        % {"what": what, "n": minimum}
    )
    summary.initial.append(
        {"categories": [category.code for category in categories], "minimum": minimum}
    )


def _add_service(summary: PackageSummary, service_type: ServiceType) -> None:
    summary.lines.append(_("Service: %(name)s") % {"name": service_type.display_name})
    summary.initial.append({"service_type": service_type.pk})


def _category_choices() -> list[tuple[str, str]]:
    rows = ItemCategory.objects.filter(code__in=PACKAGE_CATEGORIES).order_by("code")
    return [(row.code, row.display_name) for row in rows]


def _service_choices(org_id: int) -> list[tuple[str, str]]:
    rows = ServiceType.objects.filter(org_id=org_id).order_by("-is_active", "name")
    return [(str(row.pk), _service_label(row)) for row in rows]


def _service_label(row: ServiceType) -> str:
    if row.is_active:
        return row.display_name
    return _("%(name)s (retired)") % {"name": row.display_name}


# Donor codes ------------------------------------------------------------


def _code_rows(org_id: int) -> list[tuple[IndicatorCode, Measure | None]]:
    rows = IndicatorCode.objects.filter(org_id=org_id)
    return [(row, MEASURES_BY_ID.get(row.indicator)) for row in rows]


def _indicators() -> list[Measure]:
    """The indicators codes attach to, each as its headline measure."""
    return [MEASURES_BY_ID[indicator] for indicator in INDICATORS]


# Population estimates ---------------------------------------------------


def _estimates(org_id: int) -> list[PopulationEstimate]:
    return list(
        PopulationEstimate.objects.filter(org_id=org_id).prefetch_related(
            Prefetch("sites", queryset=_sites_by_name())
        )
    )


def _sites_by_name() -> QuerySet[Site]:
    return Site.objects.order_by("name")


def _estimate_being_edited(request: AuthedRequest) -> PopulationEstimate | None:
    source = request.POST if request.method == "POST" else request.GET
    name = "estimate" if request.method == "POST" else "edit"
    if not source.get(name):
        return None
    return get_population_estimate_for_user(request, _posted_id(request, name, source))


def _per_person(org_id: int, today: datetime.date) -> PerPerson:
    # The measure covers the 12 months ending with the period's last day.
    syringes, people = syringes_per_pwid(scope_of([org_id]), Period(today, today))
    return PerPerson(value=syringes / people if people else None, syringes=syringes, people=people)


def _posted_id(request: AuthedRequest, name: str, source: QueryDict | None = None) -> int:
    raw = (source if source is not None else request.POST).get(name, "")
    if not raw.isdigit():
        raise Http404
    return int(raw)
