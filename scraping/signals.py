"""What the scraping app tells the apps above it.

:data:`job_finished` is sent once per job, by the worker that closed it
(:func:`scraping.jobs.finish_if_done`), with ``job``: the job's document without its targets.
Receivers do a few small writes and queue tasks; each runs even when another fails (the
sender logs the failure), so one of them failing never stops the others or the job.
Receivers: the schedule's run history (:mod:`scraping.scheduled_runs`), and the webhook events
and the failure email of the notifications app.
"""

from django.dispatch import Signal

job_finished = Signal()
