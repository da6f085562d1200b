from django.core.management.base import BaseCommand, CommandError

from analysis import seeding


class Command(BaseCommand):
    help = (
        "Create demo users, projects and analysed results (defaults: 5 users, 3 projects each, "
        "50 results each) including testuser0@example.com (admin) and testuser1@example.com, "
        "password 'password123'. Refuses a database holding other accounts (the first admin "
        "'make run' creates does not count while it has no project) unless --force; --force "
        "adds the demo accounts, with their known password, next to the existing ones."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=5)
        parser.add_argument("--projects", type=int, default=3)
        parser.add_argument("--results", type=int, default=50)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even if other accounts exist (nothing existing is changed).",
        )

    def handle(self, *args, **opts):
        for name in ("users", "projects", "results"):
            if opts[name] < 0:
                raise CommandError(f"--{name} must be zero or more")
        try:
            report = seeding.seed(opts["users"], opts["projects"], opts["results"], force=opts["force"])
        except seeding.RealUsersPresent as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {report.users} new users, {report.projects} projects, {report.targets} targets "
                f"and {report.results} analysed results in {report.seconds:.1f}s."
            )
        )
        self.stdout.write(
            "Sign in as testuser0@example.com (admin) or testuser1@example.com, password 'password123'."
        )
