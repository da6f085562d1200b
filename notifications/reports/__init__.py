"""Scheduled reports: a project's week or month mailed to people who need no account.

- :mod:`~notifications.reports.periods`: which period a report covers and when it is due;
- :mod:`~notifications.reports.content`: what the report says (figures, alerts, quotes, topics);
- :mod:`~notifications.reports.sending`: the mail, the claim and the per-recipient progress
  that send each recipient a period once, the tasks;
- :mod:`~notifications.reports.unsubscribe`: the signed unsubscribe links;
- :mod:`~notifications.reports.services`: creating, changing and deleting schedules.
"""
