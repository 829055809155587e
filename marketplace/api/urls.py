from django.urls import include, path

from marketplace.api.views import WhoAmIApi

urlpatterns = [
    path("whoami/", WhoAmIApi.as_view(), name="api-whoami"),
    path("", include("suppliers.api.urls")),
    path("", include("catalogue.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("logistics.api.urls")),
]
