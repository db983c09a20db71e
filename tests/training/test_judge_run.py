"""Judge runs (issue #18): what a judge run may be made of, and runs end to end through
`train --inline` and a real worker, storing the judge's judgments without touching a seat."""

import io
import json

import pytest
from django.core.management import call_command

from labeling.errors import InvalidInput
from labeling.models import Comparison, Judge, Judgment, Lease
from tests.factories import ProjectFactory, UserFactory, make_comparison
from tests.training.judge_endpoint_server import LongerIsBetter, serving
from tests.workers import celery_worker, wait_for
from training import services
from training.models import ModelCheckpoint, RunStatus, TrainingRun


def checkpoint(project, path, kind="reward", name="tiny-rm") -> ModelCheckpoint:
    return ModelCheckpoint.objects.create(project=project, name=name, kind=kind, path=str(path))


def seats(project) -> list[tuple]:
    return list(Comparison.objects.filter(project=project).order_by("id").values_list("holders", "judgment_count", "is_open"))


@pytest.mark.django_db
def test_a_judge_run_judges_with_a_checkpoint_of_the_project(project, tiny_reward_model):
    make_comparison(project)
    rm = checkpoint(project, tiny_reward_model)
    create = services.training_run_create
    with pytest.raises(InvalidInput, match="give base_checkpoint"):
        create(project=project, stage="judge", base_model=tiny_reward_model)
    with pytest.raises(InvalidInput, match="no reward_checkpoint"):
        create(project=project, stage="judge", base_checkpoint=rm, reward_checkpoint=rm)
    elsewhere = checkpoint(ProjectFactory(slug="other"), tiny_reward_model)
    with pytest.raises(InvalidInput, match="not one of this project's checkpoints"):
        create(project=project, stage="judge", base_checkpoint=elsewhere)
    with pytest.raises(InvalidInput, match="which"):
        create(project=project, stage="judge", base_checkpoint=rm, config={"which": "some"})
    run, _ = create(project=project, stage="judge", base_checkpoint=rm, config={"which": "sample", "sample_size": 3})
    assert run.config["which"] == "sample" and run.snapshot is None


@pytest.mark.django_db
def test_a_judge_run_needs_comparisons_and_no_snapshot(project, tiny_reward_model):
    rm = checkpoint(project, tiny_reward_model)
    with pytest.raises(InvalidInput, match="no comparisons to judge"):
        services.training_run_create(project=project, stage="judge", base_checkpoint=rm)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_train_inline_stores_a_reward_models_verdicts_once_and_takes_no_seat(labelled_project, tiny_reward_model):
    rm = checkpoint(labelled_project, tiny_reward_model)
    before, leases = seats(labelled_project), Lease.objects.count()
    out = io.StringIO()
    judge = {"project": labelled_project.slug, "stage": "judge", "base_checkpoint": rm.pk, "inline": True, "stdout": out}
    call_command("train", config=json.dumps({"which": "all", "batch_size": 16}), **judge)
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED, run.error
    judge_row = Judge.objects.get(project=labelled_project)
    assert judge_row.name == "tiny-rm" and judge_row.kind == "reward_model" and judge_row.checkpoint_id == rm.pk
    count = Comparison.objects.filter(project=labelled_project).count()
    assert Judgment.objects.filter(annotator=judge_row.user).count() == count == run.result["metrics"]["created"]
    assert json.loads(out.getvalue().strip().splitlines()[-1])["judged"] == count
    assert seats(labelled_project) == before and Lease.objects.count() == leases
    call_command("train", config=json.dumps({"which": "unjudged"}), **judge)
    assert TrainingRun.objects.order_by("-id").first().result["metrics"]["judged"] == 0
    call_command("train", config=json.dumps({"which": "all"}), **judge)
    again = TrainingRun.objects.order_by("-id").first().result["metrics"]
    assert again["unchanged"] == count and again["created"] == again["updated"] == 0
    assert Judgment.objects.filter(annotator=judge_row.user).count() == count


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_causal_lm_judge_run_from_the_api_on_a_real_worker(api, admin_user, labelled_project, tiny_policy_model):
    lm = checkpoint(labelled_project, tiny_policy_model, kind="policy", name="tiny-lm")
    before = seats(labelled_project)
    body = {"project": labelled_project.pk, "stage": "judge", "base_checkpoint": lm.pk,
            "config": {"which": "sample", "sample_size": 4, "seed": 3, "max_length": 256}}
    with celery_worker():
        response = api(admin_user).post("/api/training-runs/", body, format="json")
        assert response.status_code == 201, response.json()
        run_id = response.json()["id"]
        wait_for(lambda: TrainingRun.objects.get(pk=run_id).status in ("succeeded", "failed"), timeout=240, what="judge run")
    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == RunStatus.SUCCEEDED, run.error
    judge_row = Judge.objects.get(project=labelled_project, kind="causal_lm")
    judgments = Judgment.objects.filter(annotator=judge_row.user)
    assert judgments.count() == 4 and run.result["judge"] == "tiny-lm"
    assert all("b shown first" in j.rationale and j.winner in ("a", "b", "tie") for j in judgments)
    assert seats(labelled_project) == before


@pytest.mark.django_db
def test_an_endpoint_judge_needs_the_endpoint_a_site_administrator_configured(project, tiny_reward_model, settings):
    make_comparison(project)
    create, endpoint = services.training_run_create, {"endpoint_model": "judge-model"}
    settings.JUDGE_ENDPOINT_URL = ""
    with pytest.raises(InvalidInput, match="JUDGE_ENDPOINT_URL"):
        create(project=project, stage="judge", config=endpoint)
    settings.JUDGE_ENDPOINT_URL = "http://judge.internal:8000/v1"
    with pytest.raises(InvalidInput, match="not both"):
        create(project=project, stage="judge", base_checkpoint=checkpoint(project, tiny_reward_model), config=endpoint)
    with pytest.raises(InvalidInput, match="unknown field"):  # no address can come with the run
        create(project=project, stage="judge", config={**endpoint, "endpoint_url": "http://169.254.169.254/"})
    run, _ = create(project=project, stage="judge", config=endpoint)
    assert run.base_checkpoint is None and run.config["endpoint_model"] == "judge-model"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_train_inline_with_an_endpoint_judge_asks_the_configured_endpoint(labelled_project, settings):
    with serving() as url:
        settings.JUDGE_ENDPOINT_URL = url
        _judge_with_the_endpoint(labelled_project)


def _judge_with_the_endpoint(labelled_project):
    before = seats(labelled_project)
    config = json.dumps({"endpoint_model": "judge-model", "which": "sample", "sample_size": 5})
    call_command("train", project=labelled_project.slug, stage="judge", config=config, inline=True, stdout=io.StringIO())
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED, run.error
    judge_row = Judge.objects.get(project=labelled_project)
    assert (judge_row.kind, judge_row.name, judge_row.checkpoint_id) == ("endpoint", "judge-model", None)
    judgments = Judgment.objects.filter(annotator=judge_row.user).select_related("comparison")
    assert judgments.count() == 5 and len(LongerIsBetter.asked) == 5 * 2
    for judgment in judgments:  # the fake endpoint prefers the longer response, in either order
        texts = list(judgment.comparison.positions.order_by("position").values_list("response__text", flat=True))
        assert judgment.winner == ("a" if len(texts[0]) > len(texts[1]) else "b")
    assert seats(labelled_project) == before


@pytest.mark.django_db
def test_stored_verdicts_set_the_serving_order_where_the_project_asks(project):
    from training.judging import store_judge_verdicts

    weak, strong = make_comparison(project), make_comparison(project)
    judge_row = Judge.objects.create(project=project, user=UserFactory(username="judge:rm"), name="rm", kind="reward_model")
    verdicts = [{"comparison_id": weak.pk, "winner": "a", "strength": 1, "criteria": {}},
                {"comparison_id": strong.pk, "winner": "b", "strength": 3, "criteria": {}}]
    assert store_judge_verdicts(judge_row, verdicts, "all")["metrics"]["priorities_set"] == 0
    assert set(Comparison.objects.values_list("priority", flat=True)) == {0.0}
    project.judge_priority = True
    project.save()
    result = store_judge_verdicts(judge_row, verdicts, "all")
    assert result["metrics"] | {"share_a": 0} == {"judged": 2, "created": 0, "updated": 0, "unchanged": 2, "missing": 0,
                                                  "priorities_set": 2, "share_a": 0, "share_b": 0.5, "share_tie": 0.0}
    weak.refresh_from_db()
    strong.refresh_from_db()
    assert weak.priority > strong.priority  # the less sure verdict is served to people first
