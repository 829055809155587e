from django.urls import include, path, re_path

from marketplace.api.views import ApiIndexApi, api_not_found

urlpatterns = [
    path("", ApiIndexApi.as_view(), name="api-index"),
    path("", include("accounts.api.urls")),
    path("", include("suppliers.api.urls")),
    path("", include("catalogue.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("logistics.api.urls")),
    path("", include("compliance.api.urls")),
    path("", include("customs.api.urls")),
    path("", include("shipping.api.urls")),
    path("", include("returns.api.urls")),
    path("", include("scorecards.api.urls")),
    path("", include("restock.api.urls")),
    # Last: anything else under /api/v1/ (a malformed id, a missing slash) is a JSON 404.
    re_path(r"^(?P<path>.*)$", api_not_found, name="api-not-found"),
]
