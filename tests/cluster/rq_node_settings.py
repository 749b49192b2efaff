"""A node of the RQ checks: the shop's own settings, plus the workload app (its tasks and its
periodic job). Everything else comes from the environment, as on a real node."""

from bungu.settings import *  # noqa: F403 - the shop's settings, unchanged
from bungu.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.cluster.rq_workload"]
