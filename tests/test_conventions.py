"""House rules that a linter does not check, over every app of ours.

The apps are the project's own AppConfigs in INSTALLED_APPS (those whose code lives in this
repository), so a new app is covered the day it is installed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
DIRECT_ENQUEUE = re.compile(r"\.(delay|apply_async|delay_on_commit|apply_async_on_commit)\(")


def our_apps() -> list[Path]:
    """The folders of the installed apps whose code is in this repository (top-level packages
    here, not what a virtualenv inside the checkout holds)."""
    folders = {Path(config.path).resolve() for config in apps.get_app_configs()}
    return sorted(folder for folder in folders if folder.parent == ROOT)


def app_sources() -> Iterator[Path]:
    for folder in our_apps():
        for path in folder.rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_every_app_of_ours_is_covered():
    names = {folder.name for folder in our_apps()}
    # A floor, not the list: the list is whatever INSTALLED_APPS holds.
    assert {"marketplace", "accounts", "suppliers", "catalogue", "orders", "logistics"} <= names
    assert {"compliance", "portal", "backoffice"} <= names


def test_tasks_are_enqueued_only_after_commit():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in app_sources()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if DIRECT_ENQUEUE.search(line) and path != ROOT / "marketplace" / "celery.py"
    ]
    assert offenders == [], "enqueue with marketplace.celery.enqueue_on_commit instead"


# --- Services speak the domain, the doors speak HTTP --------------------------------------------

# Where the HTTP vocabulary lives: a service importing from these builds a response or names a
# status itself.
HTTP_MODULES = ("http", "django.http", "django.shortcuts", "rest_framework")
HTTP_NAMES = {"HttpResponse", "JsonResponse", "Response", "HTTPStatus", "Http404"}
STATUS_KEYWORDS = {"status", "status_code", "http_status"}


def is_http_module(name: str) -> bool:
    return any(name == module or name.startswith(f"{module}.") for module in HTTP_MODULES)


def service_modules() -> Iterator[Path]:
    for folder in our_apps():
        yield from folder.glob("services.py")
        yield from (folder / "services").rglob("*.py")


def http_in_service(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Each place a service names HTTP: an import from an HTTP module, a response class, an
    `HTTP_4xx` constant, or a literal status code passed as `status=`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            modules += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            yield from ((node.lineno, f"imports {m}") for m in modules if is_http_module(m))
        elif isinstance(node, ast.Name) and node.id in HTTP_NAMES:
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute) and re.fullmatch(r"HTTP_\d{3}\w*", node.attr):
            yield node.lineno, node.attr
        elif isinstance(node, ast.keyword) and node.arg in STATUS_KEYWORDS:
            value = node.value
            is_int = isinstance(value, ast.Constant) and isinstance(value.value, int)
            if is_int and 100 <= value.value <= 599:
                yield value.lineno, f"{node.arg}={value.value}"


@pytest.mark.parametrize(
    "source",
    [
        "from django.http import JsonResponse",
        "from rest_framework import status",
        "from http import HTTPStatus",
        "raise DomainError('x', 'y', status=409)",
        "return Response(body)",
        "code = status.HTTP_409_CONFLICT",
        "from django.shortcuts import get_object_or_404",
    ],
)
def test_the_http_check_finds(source):
    assert list(http_in_service(ast.parse(source)))


def test_the_http_check_leaves_domain_code_alone():
    source = (
        "from django.db import transaction\n"
        "Order.objects.filter(status=Order.Status.SHIPPED).update(status='late')\n"
        "raise DomainError('x', 'y', kind=ErrorKind.CONFLICT)\n"
    )
    assert list(http_in_service(ast.parse(source))) == []


def test_services_never_build_a_response_nor_name_an_http_status():
    modules = list(service_modules())
    assert len(modules) > 10, "the services of every app"
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in modules
        for line, what in http_in_service(ast.parse(path.read_text()))
    ]
    assert offenders == [], (
        "a service raises DomainError with a kind (marketplace/errors.py); the doors map kinds "
        "to HTTP (marketplace/api/exceptions.py, portal/errors.py)"
    )
