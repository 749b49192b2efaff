"""When each periodic job last ran: what tells the runner which jobs are due."""

from __future__ import annotations

from django.db import models

from bungu.periodic import MAX_NAME_LENGTH


class JobRun(models.Model):
    """The last run of one declared job. No outcome text is kept: an error message can quote
    the data it failed on, and the log already has it."""

    job = models.CharField(max_length=MAX_NAME_LENGTH, unique=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failed = models.BooleanField(default=False)

    class Meta:
        ordering = ["job"]

    def __str__(self) -> str:
        return self.job
