"""The operator roles (SPEC, "Who uses it") and how a migration grants their permissions.

Each migration that changes a role lists the permissions it adds or removes, frozen in the
migration itself (a migration must not depend on code that changes later). The test
`test_roles_have_exactly_their_permissions` pins the resulting sets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

OPERATORS = "operators"
COMPLIANCE = "compliance"
FINANCE = "finance"
ROLES = (OPERATORS, COMPLIANCE, FINANCE)
# The groups' names are codes (migrations grant by them); people read these.
ROLE_LABELS = {
    OPERATORS: _("Operators"),
    COMPLIANCE: _("Compliance officers"),
    FINANCE: _("Finance"),
}


def grant(apps: Any, schema_editor: Any, grants: Mapping[str, Iterable[str]]) -> None:
    """Create the role groups and add `app_label.codename` permissions to them."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate finishes; a role migration needs them now.
    # (Historical app configs have no models module, which create_permissions would skip.)
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, perms in grants.items():
        group, _ = group_model.objects.get_or_create(name=role)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )


def revoke(apps: Any, schema_editor: Any, grants: Mapping[str, Iterable[str]]) -> None:
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, perms in grants.items():
        group = group_model.objects.filter(name=role).first()
        if group is None:
            continue
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.remove(
                *permission_model.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
            )
