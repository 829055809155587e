"""Rows in force from one day to another (rules as data: compliance programmes, customs tables):
the one reading of `effective_from` / `effective_to` every app uses."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import F, Q


class EffectiveQuerySet(models.QuerySet):
    def in_force(self, on: date) -> EffectiveQuerySet:
        """The rows in force on a day: from their first day to their last, both included."""
        return self.filter(
            Q(effective_from__lte=on), Q(effective_to__isnull=True) | Q(effective_to__gte=on)
        )


def dates_ordered(name: str) -> models.CheckConstraint:
    """A row's last day is not before its first (or it has none yet)."""
    return models.CheckConstraint(
        condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
        name=name,
    )
