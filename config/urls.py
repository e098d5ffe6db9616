from django.contrib.auth import views as auth_views
from django.urls import include, path

from outpost.orgs import views as org_views

urlpatterns = [
    path("", org_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", org_views.set_language, name="set_language"),
    path("orgs/", include("outpost.orgs.urls")),
    path("clients/", include("outpost.clients.urls")),
    path("catalogue/", include("outpost.catalogue.urls")),
    path("stock/", include("outpost.inventory.urls")),
    path("sites/", include("outpost.contacts.urls")),
    path("account/", include("outpost.accounts.urls")),
    path("audit/", include("outpost.audit.urls")),
    path("vault/", include("outpost.vault.urls")),
]
