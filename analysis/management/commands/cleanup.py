from django.core.management.base import BaseCommand

from analysis import retention


class Command(BaseCommand):
    help = (
        "Apply data retention: delete results older than their owner's plan retention (90 days when "
        "the owner is gone), scrape jobs older than 30 days, and accounts deleted more than 30 days "
        "ago (freeing their address). --dry-run only counts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be removed; delete nothing."
        )

    def handle(self, *args, **opts):
        report = retention.purge_expired(dry_run=opts["dry_run"])
        verb = "would remove" if report.dry_run else "removed"
        for plan in report.results:
            if plan.label == retention.NO_OWNER:
                scope = f"results without an existing owner ({plan.retention_days} days)"
            else:
                scope = (
                    f"results of {plan.label} plan users ({plan.owners} users, {plan.retention_days} days)"
                )
            self.stdout.write(f"  {scope}: {verb} {plan.removed}")
        self.stdout.write(f"results: {verb} {report.results_removed}")
        self.stdout.write(f"scrape_jobs: {verb} {report.scrape_jobs_removed}")
        self.stdout.write(
            f"users (deleted more than {retention.ACCOUNT_DELETION_GRACE_DAYS} days ago): {verb} {report.accounts_purged}"
        )
        if report.dry_run:
            self.stdout.write(self.style.WARNING("dry run: nothing was deleted"))
