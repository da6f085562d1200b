"""Telling the user's systems and the user that something happened: signed webhook deliveries
(Standard Webhooks) and email notifications. Listens to ``scraping.signals.job_finished``."""
