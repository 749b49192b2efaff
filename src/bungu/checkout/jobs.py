"""Checkout's periodic job (bungu.operations finds this module and runs it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bungu.periodic import Job

from .reconcile import ReconcileFailedError, reconcile_payments


def reconcile_with_processor(*, now: datetime) -> str:
    """Every authorisation becomes its order or is voided; ended stock holds go back.

    Runs far more often than an authorisation lives (days), so nothing is left to expire
    while holding a customer's money."""
    report = reconcile_payments(now=now)
    if report.errors:
        raise ReconcileFailedError(f"{report}: " + "; ".join(report.errors))
    return str(report)


JOBS = [Job("payment reconciliation", reconcile_with_processor, every=timedelta(minutes=10))]
