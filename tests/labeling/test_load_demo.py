"""`manage.py load_demo`: what scripts/demo.sh shows a new user must have something to show."""

import io

import pytest
from django.core.management import call_command

from labeling.models import Project
from labeling.stats.payload import project_stats_compute


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.ARTIFACT_DIR = tmp_path / "artifacts"
    call_command("load_demo", stdout=io.StringIO())


def test_the_bakeoff_has_a_leaderboard_of_five_models_from_real_judgments(demo):
    bakeoff = Project.objects.get(slug="model-bakeoff")
    stats = project_stats_compute(bakeoff)
    rows = stats["ratings"]["bradley_terry"]
    assert {row["model"] for row in rows} == {"llama-7b", "bloom-7b", "cerebras-gpt-6.7B", "opt-7b", "pythia-6.9b"}
    assert min(row["n"] for row in rows) >= 20  # none provisional on the leaderboard
    assert bakeoff.judgments.values("annotator").distinct().count() == 3
    # every item, PandaLM's ties included (they were dropped, and 33 all-tie items with them)
    assert bakeoff.comparisons.count() == 240 and bakeoff.judgments.count() == 720
    assert bakeoff.judgments.filter(winner="tie").count() > 50


def test_loading_twice_adds_nothing(demo):
    counts = {p.slug: (p.comparisons.count(), p.judgments.count()) for p in Project.objects.all()}
    call_command("load_demo", stdout=io.StringIO())
    assert {p.slug: (p.comparisons.count(), p.judgments.count()) for p in Project.objects.all()} == counts
    assert counts["hh-demo"][0] == 300


def test_the_tiny_models_are_printed_with_the_checkpoint_id_train_takes(demo):
    """docs/ai_feedback.md passes --base-checkpoint N: the id was printed nowhere, and ids depend on
    what the database holds already."""
    from training.models import ModelCheckpoint

    out = io.StringIO()
    call_command("build_tiny_models", project="hh-demo", stdout=out)
    for checkpoint in ModelCheckpoint.objects.filter(project__slug="hh-demo"):
        assert f"checkpoint {checkpoint.pk} '{checkpoint.name}' ({checkpoint.kind})" in out.getvalue()
