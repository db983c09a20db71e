"""Migrations on a populated database: rows written under the first migrations survive every later one.

The database is taken back to the first migration of ``labeling`` and ``training``, filled through
the models as they were then (the migration state's historical models, so this test keeps working
as the current models change), and migrated forward to the newest migrations of every app.
"""

from datetime import UTC, datetime

import pytest
from django.apps import apps as current_apps
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("latest_afterwards")]

APPS = ("labeling", "training")
WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
OPTIONS = {"pairs": "all", "conversational": True, "include_winners": False, "file": "jsonl"}


@pytest.fixture
def latest_afterwards():
    """Whatever happens in the test, later tests find the schema at the newest migrations."""
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def first_migrations(executor) -> list[tuple[str, str]]:
    return [min(key for key in executor.loader.graph.nodes if key[0] == app) for app in APPS]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def populate(old) -> dict:
    """One of everything, through the historical models; returns the ids to look for afterwards."""
    m = lambda label: old.get_model(*label.split("."))  # noqa: E731
    user = m("auth.User").objects.create(username="early-annotator", password="!")
    project = m("labeling.Project").objects.create(
        slug="early", name="Early", guidelines="Be **kind**.", overlap=2, criteria=["helpful"],
        strength_scale=["slightly", "much"],
    )
    m("labeling.Membership").objects.create(project=project, user=user, role="annotator")
    prompt = m("labeling.Prompt").objects.create(
        project=project, messages=[{"role": "user", "content": "Hi? ünïcödé ✓"}], content_hash="p" * 64, external_id="x1",
    )
    responses = [
        m("labeling.Response").objects.create(project=project, prompt=prompt, text=text, model_name=name,
                                             content_hash=name * 32, length_chars=len(text))
        for text, name in (("Hello!", "aa"), ("Go away.", "bb"))
    ]
    comparison = m("labeling.Comparison").objects.create(
        project=project, prompt=prompt, response_set_hash="c" * 64, priority=0.5, random_key=0.25,
        judgment_count=1, holders=1, is_open=True,
    )
    for position, response in enumerate(responses):
        m("labeling.ComparisonResponse").objects.create(comparison=comparison, response=response, position=position)
    m("labeling.Lease").objects.create(project=project, comparison=comparison, annotator=user, state="judged", expires_at=WHEN)
    judgment = m("labeling.Judgment").objects.create(
        project=project, comparison=comparison, annotator=user, winner="a", strength=2,
        criteria={"helpful": {"winner": "a", "strength": 1}}, rationale="A answers.", time_spent_ms=4200,
        client_key="early-key",
    )
    m("labeling.Flag").objects.create(project=project, comparison=comparison, annotator=user, reason="other", note="odd")
    m("labeling.Demonstration").objects.create(project=project, prompt=prompt, annotator=user, text="Hi there!", client_key="demo-key")
    snapshot = m("labeling.DatasetSnapshot").objects.create(
        project=project, format="trl", aggregation="majority", sha256="s" * 64, path="snapshots/early",
        row_counts={"train": 1, "validation": 0}, filters={"min_judgments": 2, "options": OPTIONS},
    )
    run = m("training.TrainingRun").objects.create(
        project=project, stage="reward", status="succeeded", base_model="tiny/model", snapshot=snapshot,
        config={"max_steps": 3}, result={"accuracy": 1.0},
    )
    m("training.RunMetric").objects.create(run=run, step=1, values={"loss": 0.7})
    checkpoint = m("training.ModelCheckpoint").objects.create(project=project, run=run, name="early-ck", kind="reward", path="checkpoints/run-1")
    return {"project": project.pk, "judgment": judgment.pk, "run": run.pk, "checkpoint": checkpoint.pk, "comparison": comparison.pk}


def test_rows_from_the_first_migrations_survive_every_later_one():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    first = first_migrations(executor)
    executor = migrate(first)
    ids = populate(executor.loader.project_state(first).apps)
    counts_before = {table: _count(table) for table in _tables()}

    migrate(latest)

    assert {table: _count(table) for table in counts_before} == counts_before
    model = current_apps.get_model
    judgment = model("labeling", "Judgment").objects.select_related("annotator", "comparison").get(pk=ids["judgment"])
    assert (judgment.winner, judgment.strength, judgment.rationale, judgment.time_spent_ms, judgment.client_key) == (
        "a", 2, "A answers.", 4200, "early-key")
    assert judgment.criteria == {"helpful": {"winner": "a", "strength": 1}}
    assert judgment.annotator.username == "early-annotator"
    comparison = judgment.comparison
    assert (comparison.holders, comparison.judgment_count, comparison.is_open, comparison.priority) == (1, 1, True, 0.5)
    assert [s.response.text for s in comparison.positions.order_by("position")] == ["Hello!", "Go away."]
    assert comparison.prompt.messages == [{"role": "user", "content": "Hi? ünïcödé ✓"}]
    project = model("labeling", "Project").objects.get(pk=ids["project"])
    assert (project.guidelines, project.criteria, project.strength_scale) == ("Be **kind**.", ["helpful"], ["slightly", "much"])
    run = model("training", "TrainingRun").objects.get(pk=ids["run"])
    assert (run.status, run.config, run.result, run.snapshot.path) == ("succeeded", {"max_steps": 3}, {"accuracy": 1.0}, "snapshots/early")
    assert run.dispatched_at is None  # added later; null for runs from before
    assert (run.snapshot.status, run.snapshot.options, run.snapshot.filters) == ("ready", OPTIONS, {"min_judgments": 2})
    assert model("training", "ModelCheckpoint").objects.get(pk=ids["checkpoint"]).path == "checkpoints/run-1"


def test_snapshot_options_move_to_their_column_and_back():
    before, after = ("labeling", "0003_snapshot_status_and_options"), ("labeling", "0004_snapshot_options_from_filters")
    executor = migrate([before])
    old = executor.loader.project_state([before]).apps
    project = old.get_model("labeling", "Project").objects.create(slug="opts", name="Opts")
    snapshot = old.get_model("labeling", "DatasetSnapshot")
    common = {"project_id": project.pk, "format": "trl", "aggregation": "majority", "path": "snapshots/x"}
    ready = snapshot.objects.create(**common, status="ready", filters={"exclude_gold": True, "options": OPTIONS})
    bare = snapshot.objects.create(**common, status="ready", filters={})

    executor = migrate([after])
    moved = executor.loader.project_state([after]).apps.get_model("labeling", "DatasetSnapshot")
    assert (moved.objects.get(pk=ready.pk).options, moved.objects.get(pk=ready.pk).filters) == (OPTIONS, {"exclude_gold": True})
    assert (moved.objects.get(pk=bare.pk).options, moved.objects.get(pk=bare.pk).filters) == ({}, {})
    pending = moved.objects.create(**common, status="pending", options=OPTIONS)

    migrate([before])
    assert snapshot.objects.get(pk=ready.pk).filters == {"exclude_gold": True, "options": OPTIONS}
    assert snapshot.objects.get(pk=bare.pk).filters == {}
    assert not snapshot.objects.filter(pk=pending.pk).exists()  # never written: no files to point at


def test_responses_keep_their_ids_and_a_second_model_may_then_give_the_same_text():
    before, after = ("labeling", "0005_flag_resolved_by_and_at"), ("labeling", "0006_response_identity_includes_model")
    executor = migrate([before])
    old = executor.loader.project_state([before]).apps
    project = old.get_model("labeling", "Project").objects.create(slug="same-text", name="Same text")
    prompt = old.get_model("labeling", "Prompt").objects.create(project=project, messages=[], content_hash="p" * 64)
    response = old.get_model("labeling", "Response")
    kept = [response.objects.create(project=project, prompt=prompt, text=text, model_name="m1", content_hash=text * 64)
            for text in "ab"]

    executor = migrate([after])
    new = executor.loader.project_state([after]).apps.get_model("labeling", "Response")
    assert list(new.objects.order_by("id").values_list("id", "model_name", "text")) == [(r.pk, "m1", r.text) for r in kept]
    new.objects.create(project_id=project.pk, prompt_id=prompt.pk, text="a", model_name="m2", content_hash="a" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        new.objects.create(project_id=project.pk, prompt_id=prompt.pk, text="a", model_name="m1", content_hash="a" * 64)


def test_every_migration_of_ours_reverses_to_zero_and_back():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    migrate([(app, None) for app in reversed(APPS)])
    assert _tables() == []
    migrate(latest)
    assert "labeling_judgment" in connection.introspection.table_names()


def _tables() -> list[str]:
    return [t for t in connection.introspection.table_names() if t.startswith(tuple(f"{app}_" for app in APPS))]


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def test_stats_cached_before_the_weighted_kappa_are_marked_for_recomputation():
    before, after = ("labeling", "0012_judgment_ranking_ties"), ("labeling", "0013_recompute_stats_for_weighted_kappa")
    executor = migrate([before])
    old = executor.loader.project_state([before]).apps
    project = old.get_model("labeling", "Project").objects.create(slug="kappa", name="Kappa")
    old.get_model("labeling", "ProjectStats").objects.create(
        project=project, payload={"agreement": {"cohen_kappa_mean": 0.962}}, computed_at=WHEN, dirty=False)

    executor = migrate([after])
    stats = executor.loader.project_state([after]).apps.get_model("labeling", "ProjectStats").objects.get(project_id=project.pk)
    assert stats.dirty and stats.payload == {"agreement": {"cohen_kappa_mean": 0.962}}  # still shown until recomputed


def test_an_annotators_earlier_demonstrations_for_one_prompt_are_marked_replaced_by_the_latest():
    before, after = ("labeling", "0013_recompute_stats_for_weighted_kappa"), ("labeling", "0014_demonstration_replaced_by")
    executor = migrate([before])
    old = executor.loader.project_state([before]).apps
    m = lambda name: old.get_model("labeling", name)  # noqa: E731
    users = [old.get_model("auth", "User").objects.create(username=name, password="!") for name in ("dee", "eve")]
    project = m("Project").objects.create(slug="demos", name="Demos")
    prompt = m("Prompt").objects.create(project=project, messages=[], content_hash="p" * 64)
    written = [m("Demonstration").objects.create(project=project, prompt=prompt, annotator=user, text=text, client_key=text)
               for user, text in ((users[0], "first"), (users[1], "eve's"), (users[0], "edited"), (users[0], "edited again"))]

    executor = migrate([after])
    new = executor.loader.project_state([after]).apps.get_model("labeling", "Demonstration")
    replaced = dict(new.objects.values_list("client_key", "replaced_by__client_key"))
    assert replaced == {"first": "edited again", "edited": "edited again", "edited again": None, "eve's": None}
    assert sorted(new.objects.filter(replaced_by=None).values_list("text", flat=True)) == ["edited again", "eve's"]
    with pytest.raises(IntegrityError), transaction.atomic():
        new.objects.create(project_id=project.pk, prompt_id=prompt.pk, annotator_id=users[1].pk, text="x", client_key="x")
    assert written[0].pk in new.objects.values_list("pk", flat=True)
