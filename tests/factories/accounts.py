from __future__ import annotations

import importlib
from pathlib import Path

import factory
from django.contrib.auth.models import Group

from accounts.models import ApiClient, Scope, User
from accounts.roles import ROLES, grant
from accounts.services import api_client_create, api_key_issue

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


def ensure_roles() -> None:
    """The role groups come from data migrations; a transactional test empties the tables
    after it runs, so grant them again from every role migration when they are gone."""
    if Group.objects.filter(name__in=ROLES).count() == len(ROLES):
        return
    from django.apps import apps

    for path in sorted(
        Path(__file__).resolve().parents[2].glob("accounts/migrations/0*_roles*.py")
    ):
        migration = importlib.import_module(f"accounts.migrations.{path.stem}")
        grant(apps, None, migration.GRANTS)


def staff_user(role: str, **fields: object) -> User:
    """A staff member in one of the operator roles (operators, compliance, finance)."""
    ensure_roles()
    user = UserFactory(is_staff=True, **fields)
    user.groups.add(Group.objects.get(name=role))
    return user


def api_client(scopes: list[str] | None = None, name: str = "Storefront") -> tuple[ApiClient, str]:
    return api_client_create(
        name=name,
        kind=ApiClient.Kind.STOREFRONT,
        scopes=Scope.values if scopes is None else scopes,
        actor=None,
    )


def supplier_token(user: User) -> str:
    return api_key_issue(user=user, name="test", actor=user)[1]
