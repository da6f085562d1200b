"""Alerts: when a project's results change in a way its analyst should hear about.

- :mod:`~notifications.alerts.probability`: tail probabilities of the tests (``math`` only);
- :mod:`~notifications.alerts.detection`: baselines and tests, pure functions over counts;
- :mod:`~notifications.alerts.aggregates`: the daily and hourly aggregates a rule's scope reads;
- :mod:`~notifications.alerts.evaluation`: rules evaluated after each analysis batch and for
  closed periods, alerts stored once per (rule, window) and handed to delivery;
- :mod:`~notifications.alerts.tasks`: the Celery tasks and the receiver of analysis's signal;
- :mod:`~notifications.alerts.delivery`, :mod:`~notifications.alerts.chat`,
  :mod:`~notifications.alerts.digest`: how an alert reaches people (email, chat, webhooks).
"""
