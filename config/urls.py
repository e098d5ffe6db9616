from django.urls import include, path

from outpost.accounts import views as account_views
from outpost.orgs import views as org_views

urlpatterns = [
    path("", org_views.home, name="home"),
    path("accounts/login/", account_views.sign_in, name="login"),
    path("accounts/logout/", account_views.sign_out, name="logout"),
    path("language/", org_views.set_language, name="set_language"),
    path("orgs/", include("outpost.orgs.urls")),
    path("clients/", include("outpost.clients.urls")),
    path("catalogue/", include("outpost.catalogue.urls")),
    path("stock/", include("outpost.inventory.urls")),
    path("sites/", include("outpost.contacts.urls")),
    path("modes/", include("outpost.modes.urls")),
    path("room/", include("outpost.room.urls")),
    path("testing/", include("outpost.testing.urls")),
    path("cases/", include("outpost.cases.urls")),
    path("deliveries/", include("outpost.delivery.urls")),
    path("outreach/", include("outpost.outreach.urls")),
    path("where/", include("outpost.outreach.public_urls")),
    path("account/", include("outpost.accounts.urls")),
    path("audit/", include("outpost.audit.urls")),
    path("reports/", include("outpost.reports.urls")),
    path("imports/", include("outpost.imports.urls")),
    path("vault/", include("outpost.vault.urls")),
]
