"""What the analysis app tells the apps above it.

:data:`batch_analysed` is sent after a batch of results was analysed and its statistics applied
(:func:`analysis.pipeline.analyze_results`), with ``project_id``, ``result_ids`` (the results
whose analysis changed) and ``days`` (the UTC days of the daily aggregates they moved). Receivers
queue tasks and return; one failing is logged and never fails the batch. Receiver: the alert
rules of the notifications app.
"""

from django.dispatch import Signal

batch_analysed = Signal()
