"""The one state-machine convention.

Each machine is a `Machine` declared beside its model (in the app's `models.py`): a table of
the legal moves, from each state to the states it may become, readable at a glance and pinned
to the SPEC by one test per machine. Every single-row move goes through `transition`, which

- locks the row (`select_for_update`) and reads its state there, so a move made meanwhile by
  someone else is seen;
- returns at once when the row is already in the target state (a retried accept is not an
  error, and records nothing);
- refuses a move the table does not hold with one error code, `invalid_transition`;
- runs the action's own preconditions on the locked row (`check`), sets the state and the
  action's other fields, saves only those fields, runs what must happen in the same
  transaction (`then`, given the row as it was before the move), and records the event with the
  actor, its payload `{"from": …, "to": …}` and the action's own keys.

Set-based moves (a sweep's `UPDATE … WHERE status IN …`) take their source states from the same
table with `Machine.sources`, so they never move a row the table would refuse.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import DomainError, ErrorKind

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Machine(Generic[M]):
    """The legal moves of one model's state field.

    `moves` maps each state to the states it may become (every state is a key, a final state
    maps to nothing). `event` is the kind of the event a move records; `{to}` in it is replaced
    by the target state ("order.{to}" gives "order.shipped"), or, for kinds named otherwise, a
    mapping from each target state to its kind. `stamped` names a field set to the time of each
    move, if the model keeps one. `supplier` names the attribute holding the supplier's id
    (dotted to follow a relation, "listing.supplier_id"), for the event (and so for the
    supplier's notifications and webhooks); None for a machine no supplier owns.
    """

    model: type[M]
    moves: Mapping[str, Set[str]]
    event: str | Mapping[str, str]
    field: str = "status"
    stamped: str | None = None
    supplier: str | None = "supplier_id"

    def __post_init__(self) -> None:
        frozen = {state: frozenset(targets) for state, targets in self.moves.items()}
        object.__setattr__(self, "moves", MappingProxyType(frozen))
        states = {value for value, _label in self._field().flatchoices}
        declared = set(self.moves)
        reachable = {target for targets in self.moves.values() for target in targets}
        unknown = (declared | reachable) - states
        if declared != states or unknown:
            raise ValueError(
                f"{self.model.__name__}'s machine must list each of its states once: "
                f"missing {sorted(states - declared)}, unknown {sorted(unknown)}"
            )
        if not isinstance(self.event, str):
            object.__setattr__(self, "event", MappingProxyType(dict(self.event)))
            if set(self.event) != reachable:
                raise ValueError(
                    f"{self.model.__name__}'s machine must name an event kind for each state "
                    f"it reaches: {sorted(reachable)}"
                )

    def _field(self) -> Any:
        return self.model._meta.get_field(self.field)

    def allows(self, current: str, target: str) -> bool:
        return target in self.moves[current]

    def sources(self, target: str) -> frozenset[str]:
        """The states a row may be in to move to `target` (for set-based moves)."""
        return frozenset(state for state, targets in self.moves.items() if target in targets)

    def pairs(self) -> set[tuple[str, str]]:
        """Every legal move as a (from, to) pair: what the tests pin to the SPEC."""
        return {(state, target) for state, targets in self.moves.items() for target in targets}

    def event_kind(self, target: str) -> str:
        if isinstance(self.event, str):
            return self.event.format(to=target)
        return self.event[target]

    def supplier_of(self, obj: M) -> int | None:
        return None if self.supplier is None else attrgetter(self.supplier)(obj)

    def label(self, state: str) -> str:
        return str(dict(self._field().flatchoices)[state])

    def refuse(self, current: str, target: str) -> DomainError:
        return DomainError(
            "invalid_transition",
            _("This %(thing)s cannot move from %(current)s to %(target)s.")
            % {
                "thing": self.model._meta.verbose_name,
                "current": self.label(current),
                "target": self.label(target),
            },
            kind=ErrorKind.CONFLICT,
        )


def transition(
    obj: M,
    machine: Machine[M],
    target: str,
    *,
    actor: Any,
    reason: str = "",
    check: Callable[[M], None] | None = None,
    changes: Mapping[str, object] | None = None,
    then: Callable[[M, M], None] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> M:
    """Move `obj` to `target` (see the module's docstring). `check(locked)` raises a
    DomainError to refuse; `changes` are the other fields the move sets; `then(locked, before)`
    runs after the save, in the same transaction, with a copy of the row as it was before the
    move (for what depends on both, such as a tally). `obj` is updated in place with the saved
    fields; the locked row is returned."""
    from .events import record_event

    with transaction.atomic():
        locked = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        previous = getattr(locked, machine.field)
        if previous == target:
            return locked
        if not machine.allows(previous, target):
            raise machine.refuse(previous, target)
        if check is not None:
            check(locked)
        before = copy.copy(locked)
        fields = {machine.field: target, **(changes or {})}
        if machine.stamped:
            fields.setdefault(machine.stamped, timezone.now())
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        if then is not None:
            then(locked, before)
        record_event(
            machine.event_kind(target),
            actor=actor,
            supplier_id=machine.supplier_of(locked),
            subject=locked,
            reason=reason,
            payload={"from": previous, "to": target, **(payload or {})},
        )
    for name in fields:
        setattr(obj, name, getattr(locked, name))
    return locked
