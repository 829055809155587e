"""Role permissions for the catalogue.

- operators keep the catalogue: they add and change categories and products (reference prices,
  tender specifications), move listings through their states and set retail prices (the change
  permission on listings is what the listing actions need), answer price rounds (change on price
  rounds is for the accept / counter / reject actions; rounds are never edited), open and close
  tenders and read bids (the amounts only after closing), and read product images and overseas
  stock on the product and listing pages.
- compliance reads categories, products (with their images) and listings. It does not get the
  change permission on listings: that permission carries every listing action (publish, delist,
  retail prices), and the SPEC has operators approve listings. The compliance-review step
  (compliance_review -> approved) therefore stays an operator action until the compliance issue
  brings test records and a permission of its own for that step.
- finance reads listings (their agreed supply prices) and price rounds: what the platform will
  owe suppliers.
"""

from functools import partial

from django.db import migrations

from accounts.roles import COMPLIANCE, FINANCE, OPERATORS, grant, revoke

GRANTS = {
    OPERATORS: [
        "catalogue.view_category",
        "catalogue.add_category",
        "catalogue.change_category",
        "catalogue.view_product",
        "catalogue.add_product",
        "catalogue.change_product",
        "catalogue.view_productimage",
        "catalogue.view_listing",
        "catalogue.change_listing",
        "catalogue.view_listingprice",
        "catalogue.add_listingprice",
        "catalogue.change_listingprice",
        "catalogue.view_overseasstock",
        "catalogue.view_priceround",
        "catalogue.change_priceround",
        "catalogue.view_tender",
        "catalogue.add_tender",
        "catalogue.change_tender",
        "catalogue.view_bid",
    ],
    COMPLIANCE: [
        "catalogue.view_category",
        "catalogue.view_product",
        "catalogue.view_productimage",
        "catalogue.view_listing",
    ],
    FINANCE: ["catalogue.view_listing", "catalogue.view_priceround"],
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_roles_suppliers_money"),
        ("catalogue", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            partial(grant, grants=GRANTS), partial(revoke, grants=GRANTS), elidable=False
        ),
    ]
