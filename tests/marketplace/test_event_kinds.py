"""The list of event kinds (marketplace/event_kinds.py) is the code's: every kind recorded is
listed with exactly the payload keys the code sends, nothing listed is never recorded, and
docs/webhooks.md shows the list as `manage.py webhook_docs` writes it.

The calls are read from the source (`record_event(...)` and `NewEvent(...)`): a literal kind,
an f-string kind (`f"order.{target}"` stands for the listed kinds it matches, the most specific
f-string winning), a name bound to literal kinds in the same function or module (or imported
as a constant), or an attribute
of the module's constants (`move.event`, where `PAUSE` and `RESUME` are such constants). A move
through the state-machine helper (`transition(obj, MACHINE, target, ...)`, marketplace/states.py)
records its machine's kind for the target (every target the machine reaches when the target is
not a literal state), with `from` and `to` beside the call's own payload keys."""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import models

from marketplace.event_kinds import DOC_BEGIN, DOC_END, EVENT_KINDS, kinds_markdown
from marketplace.states import Machine

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "marketplace",
    "accounts",
    "suppliers",
    "catalogue",
    "orders",
    "logistics",
    "compliance",
    "shipping",
    "returns",
    "scorecards",
    "restock",
]
HELPERS = {"record_event", "NewEvent"}
# They record the kinds their callers name: marketplace/events.py's own helpers, and the
# state-machine helper's one call (its callers are read as `transition(...)` below).
RECORDERS = {"marketplace/events.py", "marketplace/states.py"}
KIND = re.compile(r"[a-z_]+\.[a-z_]+")
# Every machine, by the name it is declared under in its app's models.
MACHINES: dict[str, Machine] = {
    name: value
    for app in APPS
    for name, value in vars(importlib.import_module(f"{app}.models")).items()
    if isinstance(value, Machine)
}


@dataclass
class Emission:
    where: str
    kinds: set[str]  # literal kinds
    pattern: re.Pattern[str] | None  # an f-string kind
    prefix: str  # the f-string's literal start: the longer, the more specific
    keys: set[str] | None  # payload keys; None when the payload is not a dict literal


def _strings_bound_to(name: str, scope: ast.AST) -> set[str]:
    """Literal kinds assigned to `name` in `scope` (plain or tuple assignments)."""
    found: set[str] = set()
    for node in ast.walk(scope):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs: list[tuple[ast.expr, ast.expr]] = []
            if isinstance(target, ast.Name):
                pairs = [(target, node.value)]
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs = list(zip(target.elts, node.value.elts, strict=False))
            for left, right in pairs:
                if (
                    isinstance(left, ast.Name)
                    and left.id == name
                    and isinstance(right, ast.Constant)
                    and isinstance(right.value, str)
                    and KIND.fullmatch(right.value)
                ):
                    found.add(right.value)
    return found


def _imported_kind(relative: Path, name: str) -> set[str]:
    """A kind the module imports as a constant (`from .sql import PENALTY_EVENT`)."""
    value = getattr(importlib.import_module(".".join(relative.with_suffix("").parts)), name, None)
    return {value} if isinstance(value, str) and KIND.fullmatch(value) else set()


def _attribute_kinds(relative: Path, attribute: str) -> set[str]:
    """Kinds read from an attribute (`move.event`): that attribute of the module's own constants
    (`PAUSE.event`, `RESUME.event`), the values the expression can take."""
    module = importlib.import_module(".".join(relative.with_suffix("").parts))
    values = (getattr(value, attribute, None) for value in vars(module).values())
    return {value for value in values if isinstance(value, str) and KIND.fullmatch(value)}


def _payload_keys(call: ast.Call) -> set[str] | None:
    """The payload's keys; None when the payload is not a dict literal."""
    payload = next((k.value for k in call.keywords if k.arg == "payload"), None)
    if payload is None:
        return set()
    if isinstance(payload, ast.Dict) and all(isinstance(k, ast.Constant) for k in payload.keys):
        return {k.value for k in payload.keys if isinstance(k, ast.Constant)}
    return None


def _emissions() -> list[Emission]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or relative.as_posix() in RECORDERS:
                continue
            module = ast.parse(path.read_text(encoding="utf-8"))
            functions = [
                n for n in ast.walk(module) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
            for call in ast.walk(module):
                if not isinstance(call, ast.Call):
                    continue
                name = getattr(call.func, "id", getattr(call.func, "attr", None))
                where = f"{relative}:{call.lineno}"
                if name == "transition" and len(call.args) >= 3:
                    found.append(_transition(where, call))
                    continue
                if name not in HELPERS or not call.args:
                    continue
                kind = call.args[0]
                kinds: set[str] = set()
                pattern, prefix = None, ""
                if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                    kinds = {kind.value}
                elif isinstance(kind, ast.JoinedStr):
                    parts = [
                        re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z_]+"
                        for v in kind.values
                    ]
                    pattern = re.compile("".join(parts))
                    first = kind.values[0]
                    prefix = first.value if isinstance(first, ast.Constant) else ""
                elif isinstance(kind, ast.Name):
                    enclosing = [
                        f
                        for f in functions
                        if f.lineno <= call.lineno <= (f.end_lineno or f.lineno)
                    ]
                    scope: ast.AST = enclosing[-1] if enclosing else module
                    kinds = (
                        _strings_bound_to(kind.id, scope)
                        or _strings_bound_to(kind.id, module)
                        or _imported_kind(relative, kind.id)
                    )
                elif isinstance(kind, ast.Attribute):
                    kinds = _attribute_kinds(relative, kind.attr)
                assert kinds or pattern, f"{where}: cannot tell which kind this records"
                found.append(Emission(where, kinds, pattern, prefix, _payload_keys(call)))
    return found


def _targets(node: ast.expr, machine: Machine) -> set[str]:
    """The states a `transition` call's target may be: a member of the model's choices
    (`Status.SHIPPED`), either branch of a conditional, or any state the machine reaches."""
    if isinstance(node, ast.IfExp):
        return _targets(node.body, machine) | _targets(node.orelse, machine)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Attribute):
        states = {value for value, _label in machine._field().flatchoices}
        for choices in vars(machine.model).values():
            if (
                isinstance(choices, type)
                and issubclass(choices, models.Choices)
                and set(choices.values) == states
                and node.attr in choices.names
            ):
                return {choices[node.attr].value}
    return {target for _source, target in machine.pairs()}


def _transition(where: str, call: ast.Call) -> Emission:
    machine = MACHINES.get(getattr(call.args[1], "id", ""))
    assert machine is not None, f"{where}: cannot tell which machine this moves"
    kinds = {machine.event_kind(target) for target in _targets(call.args[2], machine)}
    keys = _payload_keys(call)
    return Emission(where, kinds, None, "", None if keys is None else {"from", "to", *keys})


EMISSIONS = _emissions()


def _emitters(kind: str) -> list[Emission]:
    exact = [e for e in EMISSIONS if kind in e.kinds]
    if exact:
        return exact
    matching = [e for e in EMISSIONS if e.pattern is not None and e.pattern.fullmatch(kind)]
    if not matching:
        return []
    best = max(len(e.prefix) for e in matching)
    return [e for e in matching if len(e.prefix) == best]


def test_the_code_records_events():
    assert len(EMISSIONS) > 50


def test_every_recorded_kind_is_listed():
    unlisted = {
        f"{e.where}: {kind}" for e in EMISSIONS for kind in e.kinds if kind not in EVENT_KINDS
    }
    unmatched = {
        f"{e.where}: {e.pattern.pattern}"
        for e in EMISSIONS
        if e.pattern is not None and not any(e.pattern.fullmatch(k) for k in EVENT_KINDS)
    }
    assert not unlisted | unmatched, "add these to marketplace/event_kinds.py"


def test_every_listed_kind_is_recorded_somewhere():
    assert [kind for kind in EVENT_KINDS if not _emitters(kind)] == []


@pytest.mark.parametrize("kind", list(EVENT_KINDS))
def test_the_listed_payload_has_the_keys_the_code_sends(kind):
    spec = EVENT_KINDS[kind]
    emitters = _emitters(kind)
    opaque = [e.where for e in emitters if e.keys is None]
    assert not opaque, f"{opaque}: write the payload as a dict literal so it can be checked"
    sent = [e.keys or set() for e in emitters]
    every = set().union(*sent)
    always = set.intersection(*sent)
    assert set(spec.payload) == every, [e.where for e in emitters]
    assert spec.optional == every - always, [e.where for e in emitters]


def test_the_document_lists_the_kinds_as_the_command_writes_them():
    document = (ROOT / "docs" / "webhooks.md").read_text(encoding="utf-8")
    section = document[document.index(DOC_BEGIN) : document.index(DOC_END) + len(DOC_END)]
    assert section == kinds_markdown(), "run `python manage.py webhook_docs`"
    call_command("webhook_docs", "--check")
    for kind in EVENT_KINDS:
        assert f"| `{kind}` |" in section


def test_the_check_fails_on_a_stale_document(tmp_path, monkeypatch):
    from marketplace.management.commands import webhook_docs

    stale = tmp_path / "webhooks.md"
    stale.write_text(f"# Webhooks\n\n{DOC_BEGIN}\n| `supplier.applied` |\n{DOC_END}\n")
    monkeypatch.setattr(webhook_docs, "DOC", stale)
    with pytest.raises(CommandError, match="webhook_docs"):
        call_command("webhook_docs", "--check")
    call_command("webhook_docs")
    assert kinds_markdown() in stale.read_text()
    call_command("webhook_docs", "--check")
