from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views
from .catalogue import imports, listings, products, tenders
from .compliance import urls as compliance
from .logistics import shipments, stock, stocking
from .members import views as members
from .money import views as money
from .notifications import views as notifications
from .onboarding import views as onboarding
from .orders import penalties
from .orders import views as orders
from .returns import urls as returns
from .scorecard import urls as scorecard
from .shipping import urls as shipping
from .views import PortalAuthenticationForm

app_name = "portal"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html",
            authentication_form=PortalAuthenticationForm,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="portal/password_reset_form.html",
            email_template_name="portal/email/password_reset.txt",
            subject_template_name="portal/email/password_reset_subject.txt",
            success_url=reverse_lazy("portal:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="portal/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="portal/password_reset_confirm.html",
            success_url=reverse_lazy("portal:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="portal/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("apply/", onboarding.apply, name="apply"),
    path("application/", onboarding.application, name="application"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("ledger/", money.ledger, name="ledger"),
    path("ledger.csv", money.ledger_csv, name="ledger_csv"),
    path("withdrawals/", money.withdrawals, name="withdrawals"),
    path("jit/", money.jit, name="jit"),
    path("jit/apply/", money.jit_apply_view, name="jit_apply"),
    path("members/", members.members, name="members"),
    path(
        "members/invitations/<int:pk>/cancel/",
        members.invitation_cancel_view,
        name="invitation_cancel",
    ),
    path("members/<int:pk>/remove/", members.member_remove_view, name="member_remove"),
    path("members/<int:pk>/transfer/", members.ownership_transfer_view, name="ownership_transfer"),
    # The members service builds invitation links with this name.
    path("invitations/<str:token>/", members.invitation_accept_view, name="invitation_accept"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke_view, name="api_key_revoke"),
    path("catalogue/products/", products.products, name="products"),
    path("catalogue/products/new/", products.product_new, name="product_new"),
    path("catalogue/products/<int:pk>/", products.product_edit, name="product_edit"),
    path(
        "catalogue/products/<int:pk>/images/",
        products.product_image_upload,
        name="product_image_upload",
    ),
    path(
        "catalogue/products/<int:pk>/images/<int:image_pk>/<str:variant>/",
        products.product_image,
        name="product_image",
    ),
    path("catalogue/listings/", listings.listings, name="listings"),
    path("catalogue/listings/new/", listings.listing_new, name="listing_new"),
    path("catalogue/listings/<int:pk>/", listings.listing_detail, name="listing_detail"),
    path("catalogue/listings/<int:pk>/price/", listings.listing_price, name="listing_price"),
    path(
        "catalogue/listings/<int:pk>/accept-counter/",
        listings.listing_accept_counter,
        name="listing_accept_counter",
    ),
    path(
        "catalogue/listings/<int:pk>/withdraw/",
        listings.listing_withdraw,
        name="listing_withdraw",
    ),
    path("catalogue/listings/<int:pk>/stock/", listings.listing_stock, name="listing_stock"),
    path("catalogue/import/", imports.catalogue_import, name="catalogue_import"),
    path(
        "catalogue/import/confirm/",
        imports.catalogue_import_confirm,
        name="catalogue_import_confirm",
    ),
    path("catalogue/import/done/", imports.catalogue_import_done, name="catalogue_import_done"),
    path(
        "catalogue/import/template.csv",
        imports.catalogue_import_template,
        name="catalogue_import_template",
    ),
    path("tenders/", tenders.tenders, name="tenders"),
    path("tenders/<int:pk>/", tenders.tender_detail, name="tender_detail"),
    path("orders/", orders.orders, name="orders"),
    path("orders/to-ship/", orders.orders_to_ship, name="orders_to_ship"),
    path("orders/packing-list/", orders.orders_packing_list, name="orders_packing_list"),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/stockout/", orders.order_stockout, name="order_stockout"),
    path("orders/<int:pk>/photos/<int:photo_pk>/", orders.order_photo, name="order_photo"),
    path("penalties/", penalties.penalties, name="penalties"),
    path("penalties/<int:pk>/", penalties.penalty_detail, name="penalty_detail"),
    path(
        "penalties/<int:pk>/attachments/<int:attachment_pk>/",
        penalties.penalty_attachment,
        name="penalty_attachment",
    ),
    # Consignment inventory: stocking orders, inbound shipments, stock, payables, overstock.
    path("stock/", stock.stock, name="stock"),
    path("stock/stocking-orders/", stocking.stocking_orders, name="stocking_orders"),
    path(
        "stock/stocking-orders/<int:pk>/",
        stocking.stocking_order_detail,
        name="stocking_order_detail",
    ),
    path(
        "stock/stocking-orders/<int:pk>/accept/",
        stocking.stocking_order_accept_view,
        name="stocking_order_accept",
    ),
    path(
        "stock/stocking-orders/<int:pk>/decline/",
        stocking.stocking_order_decline_view,
        name="stocking_order_decline",
    ),
    path(
        "stock/stocking-orders/<int:pk>/send/",
        stocking.stocking_order_send,
        name="stocking_order_send",
    ),
    path("stock/shipments/", shipments.shipments, name="shipments"),
    path("stock/shipments/<int:pk>/", shipments.shipment_detail, name="shipment_detail"),
    path("stock/shipments/<int:pk>/book/", shipments.shipment_book, name="shipment_book"),
    path("stock/shipments/<int:pk>/cancel/", shipments.shipment_cancel, name="shipment_cancel"),
    path("stock/payables/", stock.payables, name="payables"),
    path("stock/overstock/", stock.overstock_offers, name="overstock_offers"),
    path(
        "stock/overstock/<int:pk>/take-back/",
        stock.overstock_take_back_view,
        name="overstock_take_back",
    ),
    path(
        "stock/overstock/<int:pk>/leave/",
        stock.overstock_leave_view,
        name="overstock_leave",
    ),
    *compliance.urlpatterns,
    *shipping.urlpatterns,
    *returns.urlpatterns,
    *scorecard.urlpatterns,
]
