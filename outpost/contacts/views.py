import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Count, F, Prefetch, Sum
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from outpost.catalogue.models import Item
from outpost.clients.access import get_client_for_user
from outpost.clients.duplicates import possible_duplicates
from outpost.clients.forms import CodeForm, RegistrationForm
from outpost.clients.models import Client
from outpost.contacts.actions import record_contact
from outpost.contacts.forms import ContactForm
from outpost.contacts.models import Contact, ContactItem
from outpost.core.errors import DomainError
from outpost.core.roles import Perm
from outpost.inventory.forecast import Forecast, forecasts
from outpost.inventory.models import Location, StockBalance
from outpost.orgs.access import AuthedRequest, get_site_for_user, requires
from outpost.orgs.models import Site

RECENT_CONTACTS = 5


@requires(Perm.RECORD_CONTACT)
def entry(request: AuthedRequest, site_id: int) -> HttpResponse:
    """The quick-entry screen: type a code to start."""
    site = get_site_for_user(request, site_id)
    form = CodeForm(today=site.local_today())
    return TemplateResponse(request, "contacts/entry.html", {"site": site, "form": form})


@require_POST
@requires(Perm.RECORD_CONTACT)
def find(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Open the client with the typed code, or offer to register it."""
    site = get_site_for_user(request, site_id)
    today = site.local_today()
    form = CodeForm(request.POST, today=today)
    if not form.is_valid():
        context = {"site": site, "form": form}
        return TemplateResponse(request, "contacts/entry.html", context, status=422)
    parts = form.cleaned_data["code"]
    client = Client.objects.filter(org_id=request.membership.org_id, code=parts.code).first()
    if client is not None:
        return redirect("contacts:visit", site_id=site.pk, client_id=client.pk)
    registration = RegistrationForm(
        today=today,
        initial={
            "mother_name": parts.mother,
            "father_name": parts.father,
            "sex": parts.sex,
            "birth_date": parts.birth_date,
        },
    )
    context = {
        "site": site,
        "form": form,
        "unknown_code": parts.code,
        "duplicates": possible_duplicates(request.membership.org_id, parts),
        "registration": registration,
    }
    return TemplateResponse(request, "contacts/entry.html", context)


@requires(Perm.RECORD_CONTACT)
def visit(request: AuthedRequest, site_id: int, client_id: int) -> HttpResponse:
    """The client card and what was given at this contact."""
    site = get_site_for_user(request, site_id)
    client = get_client_for_user(request, client_id)
    return _contact_page(request, site, client)


@requires(Perm.RECORD_CONTACT)
def anonymous(request: AuthedRequest, site_id: int) -> HttpResponse:
    """A contact with no code: counted as a contact, never as a client."""
    site = get_site_for_user(request, site_id)
    return _contact_page(request, site, None)


def _contact_page(request: AuthedRequest, site: Site, client: Client | None) -> HttpResponse:
    items = list(
        Item.objects.filter(org_id=site.org_id, is_active=True)
        .exclude(category__code="kit")
        .select_related("category")
    )
    places = _stock_places(site)
    source = _stock_source(request, site, places)
    form = ContactForm(
        request.POST or None,
        site=site,
        items=items,
        stock_places=places,
        stock_from=source,
        lots=_usable_lots(source, site) if source else {},
        initial={
            # A worker on a mobile unit's shift enters on its channel.
            "channel": request.session.get(channel_key(site), site.default_channel),
            "idempotency_key": uuid.uuid4(),
        },
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                record_contact(
                    site=site,
                    worker=request.user,
                    channel=form.cleaned_data["channel"],
                    client=client,
                    handout=form.handout(),
                    syringes_returned=form.cleaned_data["syringes_returned"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    location=form.stock_location(),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                if (place := form.stock_location()) is not None:
                    request.session[stock_from_key(site)] = place.pk
                label = client.code if client else _("anonymous contact")
                messages.success(request, _("Saved: %(who)s.") % {"who": label})
                return redirect("contacts:entry", site_id=site.pk)
        status = 422
    context = {
        "site": site,
        "client": client,
        "form": form,
        "recent": _recent_contacts(client) if client else [],
    }
    return TemplateResponse(request, "contacts/contact_form.html", context, status=status)


def _stock_places(site: Site) -> list[Location]:
    """The places at a site a worker may hand out from, the store first."""
    places = Location.objects.active().filter(site=site)
    return sorted(places, key=lambda place: (place.kind != Location.Kind.STORE, place.name))


def stock_from_key(site: Site) -> str:
    return f"stock_from:{site.pk}"


def channel_key(site: Site) -> str:
    """The session key of the channel quick entry offers first at ``site``."""
    return f"channel:{site.pk}"


def _stock_source(
    request: AuthedRequest, site: Site, places: Sequence[Location]
) -> Location | None:
    """The place picked on this request, else the one last used here, else the store."""
    by_id = {str(place.pk): place for place in places}
    for wanted in (
        request.POST.get("stock_from"),
        request.GET.get("stock_from"),
        str(request.session.get(stock_from_key(site), "")),
    ):
        if wanted in by_id:
            return by_id[wanted]
    return places[0] if places else None


def _usable_lots(location: Location, site: Site) -> dict[int, list[StockBalance]]:
    """The lots of each item that may still be handed out, first to expire first."""
    balances = (
        StockBalance.objects.filter(location=location, quantity__gt=0)
        .exclude(expires_on__lt=site.local_today())
        .order_by("item_id", F("expires_on").asc(nulls_last=True), "lot")
    )
    lots: dict[int, list[StockBalance]] = {}
    for balance in balances:
        lots.setdefault(balance.item_id, []).append(balance)
    return lots


def _recent_contacts(client: Client) -> list[Contact]:
    return list(
        Contact.objects.filter(client=client)
        .select_related("site")
        .prefetch_related(
            Prefetch("items", queryset=ContactItem.objects.select_related("item")),
            "services__service_type",
        )
        .order_by("-occurred_at")[:RECENT_CONTACTS]
    )


@requires(Perm.VIEW_TODAY)
def today(request: AuthedRequest, site_id: int) -> HttpResponse:
    """The day at a site: contacts, clients, what went out, what is left."""
    site = get_site_for_user(request, site_id)
    date = site.local_today()
    contacts = Contact.objects.at_site_on(site, date)
    figures = contacts.aggregate(
        contacts=Count("pk"),
        clients=Count("client", distinct=True),
        returned=Sum("syringes_returned"),
    )
    handed_out = (
        ContactItem.objects.filter(contact__site=site, contact__date=date)
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    handed_out_by_item = {row["item_id"]: row["total"] for row in handed_out}
    stock = _stock_by_item(site, date)
    items = Item.objects.filter(org_id=site.org_id, is_active=True).select_related("category")
    rows = []
    for item in items:
        item_stock = stock.get(item.pk) or _ItemStock()
        rows.append(
            {
                "item": item,
                "handed_out": handed_out_by_item.get(item.pk, 0),
                "on_hand": item_stock.on_hand,
                "days_of_stock": item_stock.days_of_stock,
                "flag": item_stock.flag,
            }
        )
    context = {
        "site": site,
        "date": date,
        "figures": figures,
        "rows": rows,
        "at_risk_count": sum(1 for row in rows if row["flag"]),
    }
    return TemplateResponse(request, "contacts/today.html", context)


# The flags of the today page, most urgent first: out of stock before an
# order placed now could arrive, an order is due, stock expires.
STOCK_FLAGS = ("running_out", "order_now", "expired", "expiring_soon")


@dataclass
class _ItemStock:
    on_hand: int = 0
    days_of_stock: int | None = None
    flag: str = ""


def _stock_by_item(site: Site, date: datetime.date) -> dict[int, _ItemStock]:
    """Per item id: usable units at the site's locations, the soonest stock-out, a flag."""
    result: dict[int, _ItemStock] = {}
    for forecast in forecasts(list(Location.objects.active().filter(site=site)), today=date):
        row = result.setdefault(forecast.item.pk, _ItemStock())
        row.on_hand += forecast.on_hand
        days = forecast.days_of_stock
        if days is not None and (row.days_of_stock is None or days < row.days_of_stock):
            row.days_of_stock = days
        flag = _stock_flag(forecast)
        if flag and (not row.flag or STOCK_FLAGS.index(flag) < STOCK_FLAGS.index(row.flag)):
            row.flag = flag
    return result


def _stock_flag(forecast: Forecast) -> str:
    days = forecast.days_of_stock
    if forecast.at_risk:
        soon = days is not None and days < forecast.policy.lead_time_days
        if forecast.on_hand == 0 or forecast.runs_out_first or soon:
            return "running_out"
        return "order_now"
    if forecast.expired:
        return "expired"
    if forecast.expiring_soon:
        return "expiring_soon"
    return ""
