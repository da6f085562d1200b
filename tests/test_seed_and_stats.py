import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role, User
from analysis import pipeline, stats
from analysis.management.commands.seed_test_data import Command as SeedCommand
from analysis.models import Result
from projects.models import Project, Target
from sentimatrix.mongo import collection
from tests.factories import make_user
from tests.results_seed import seed


@pytest.mark.django_db
def test_seed_creates_the_documented_counts_and_test_accounts(capsys):
    call_command("seed_test_data", "--users", "3", "--projects", "2", "--results", "20")
    assert User.objects.count() == 3
    assert User.objects.get(email="testuser0@example.com").role == Role.ADMIN
    assert User.objects.get(email="testuser1@example.com").check_password("password123")
    assert Project.objects.count() == 6
    assert Result.objects.count() == 120
    analysed = collection("results").count_documents(
        {"analysis.sentiment.label": {"$exists": True, "$ne": None}}
    )
    assert analysed == 120
    assert len(collection("results").distinct("platform")) >= 3
    # Statistics were built: the project's figures match its results.
    project = Project.objects.first()
    assert project.stats.sentiment_count == Result.objects.filter(project=project).count() == 20
    assert stats.rebuild(project.pk) == {}
    assert "Seeded 3 new users, 6 projects" in capsys.readouterr().out


@pytest.mark.django_db
def test_seed_refuses_a_database_with_real_users():
    make_user("someone@company.test")
    with pytest.raises(CommandError, match=r"outside @example\.com"):
        call_command("seed_test_data", "--users", "1", "--projects", "1", "--results", "1")
    assert Project.objects.count() == 0
    call_command("seed_test_data", "--users", "1", "--projects", "1", "--results", "1", "--force")
    assert Project.objects.count() == 1


@pytest.mark.django_db
def test_seed_runs_right_after_the_first_start_created_its_admin(monkeypatch):
    monkeypatch.setenv("ADMIN_EMAIL", "owner@studio.test")
    call_command("ensure_first_admin")
    call_command("seed_test_data", "--users", "1", "--projects", "1", "--results", "1")
    assert Project.objects.count() == 1
    # Once the first admin has work of its own, the database is no longer a fresh one.
    admin = User.objects.get(email="owner@studio.test")
    Project.objects.create(user=admin, name="Real work")
    with pytest.raises(CommandError, match=r"1 account\(s\) outside @example\.com"):
        call_command("seed_test_data", "--users", "1", "--projects", "1", "--results", "1")


def test_seed_help_documents_force():
    assert "--force" in SeedCommand.help


def _snapshot(project_id):
    project = collection("projects").find_one({"_id": project_id}, {"stats": 1})["stats"]
    targets = sorted(
        (str(t["_id"]), t["stats"].get("sentiment_count"), round(t["stats"].get("sentiment_sum", 0), 6))
        for t in collection("targets").find({"project_id": project_id}, {"stats": 1})
    )
    daily = sorted(
        (d["_id"], d["count"], round(d.get("sum", 0), 6), tuple(sorted(d.get("labels", {}).items())))
        for d in collection("daily_stats").find({"project_id": project_id})
        if d["count"]
    )
    distribution = project.get("sentiment_distribution") or {}
    return (
        project.get("sentiment_count"),
        round(project.get("sentiment_sum", 0), 6),
        tuple(distribution.get(b, 0) for b in stats.BUCKETS),
        targets,
        daily,
    )


@pytest.mark.django_db
def test_stats_after_analyse_reanalyse_exclude_and_delete_equal_a_rebuild(settings):
    call_command("seed_test_data", "--users", "1", "--projects", "1", "--results", "30")
    project = Project.objects.get()
    ids = list(Result.objects.filter(project=project).values_list("pk", flat=True))
    # Re-analyse with 5 classes: labels move between buckets, counts must not double.
    collection("projects").update_one({"_id": project.pk}, {"$set": {"config.analysis.sentiment_classes": 5}})
    assert pipeline.analyze_results(project.pk, ids) == 30
    assert pipeline.analyze_results(project.pk, ids[:10]) == 10
    pipeline.set_excluded(ids[0], True)
    pipeline.set_excluded(ids[1], True)
    pipeline.set_excluded(ids[1], False)
    target = Target.objects.filter(project=project).first()
    pipeline.remove_results({"target_id": target.pk})
    incremental = _snapshot(project.pk)
    assert incremental[0] == Result.objects.filter(project=project, excluded=False).count()
    drift = stats.rebuild(project.pk)
    assert drift == {}, drift
    assert _snapshot(project.pk) == incremental


@pytest.mark.django_db
def test_results_left_unanalysed_for_their_language_are_counted_apart(seed_clock):
    data = seed(make_user(), count=6)
    unsupported = [d for d in data.docs if d["analysis"]["sentiment"] and not d["excluded"]][:3]
    for doc in unsupported:
        collection("results").update_one(
            {"_id": doc["_id"]},
            {"$set": {"analysis.sentiment": None, "analysis.unsupported_language": "ja", "language": "ja"}},
        )
    stats.rebuild(data.project.pk)
    project = Project.objects.get(pk=data.project.pk)
    counted = [d for d in data.counted() if d["_id"] not in {u["_id"] for u in unsupported}]
    assert project.stats.unsupported_language_count == 3
    assert project.stats.sentiment_count == len(counted)  # never mixed into the sentiment figures
    per_target = {t.pk: t.stats.unsupported_language_count for t in Target.objects.filter(project=project)}
    assert sum(per_target.values()) == 3
    # Excluding one takes it out of the count, incrementally, as for analysed results.
    assert pipeline.set_excluded(unsupported[0]["_id"], True)
    assert Project.objects.get(pk=project.pk).stats.unsupported_language_count == 2
    assert stats.rebuild(project.pk) == {}
