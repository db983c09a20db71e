"""GET /api/projects/{id}/overview/: the admin dashboard's progress, pace, leases, rates and flags;
POST /api/flags/{id}/resolve/."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.flags import comparison_skip, flag_create
from labeling.annotation.judgments import judgment_create
from labeling.models import IMPORT_USER_PREFIX, ComparisonKind, Flag, Judgment, Lease
from labeling.projects.overview import EXCERPT_CHARS, judgments_per_hour
from labeling.stats.payload import project_stats_compute
from tests.factories import UserFactory, make_comparison, make_prompt, new_client_key
from tests.labeling.stats.judge_builders import make_judge, rejected, verdict

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def overview(api, user, project):
    return api(user).get(f"/api/projects/{project.pk}/overview/")


def judge_next(project, user, winner="a"):
    """Lease the next comparison to ``user`` and judge it through the services."""
    comparison = comparison_lease_next(project=project, annotator=user)
    judgment_create(
        annotator=user, comparison_id=comparison.pk, winner=winner,
        strength=None if winner == "tie" else 2, client_key=new_client_key(),
    )
    return comparison


@pytest.fixture
def busy_project(project, annotator, second_annotator):
    """Overlap 2 over three comparisons (and one gold): one complete, one half done, one untouched
    but leased, one skipped; a tie among three judgments; two flags, one resolved."""
    project.overlap = 2
    project.save()
    for _ in range(3):
        make_comparison(project)
    make_comparison(project, is_gold=True, gold_answer={"winner": "a"})
    first = judge_next(project, annotator, "a")
    assert judge_next(project, second_annotator, "tie") == first  # started comparisons are served first
    judge_next(project, annotator, "b")
    skipped = comparison_lease_next(project=project, annotator=second_annotator)
    comparison_skip(annotator=second_annotator, comparison_id=skipped.pk)
    leased = comparison_lease_next(project=project, annotator=second_annotator)
    flag_create(annotator=second_annotator, comparison_id=leased.pk, reason="unsafe", note="asks for a <b>weapon</b>")
    resolved, _ = flag_create(annotator=annotator, comparison_id=first.pk, reason="other")
    Flag.objects.filter(pk=resolved.pk).update(resolved=True)
    return project


def test_admin_sees_progress_leases_rates_and_open_flags(api, busy_project, admin_user, second_annotator):
    response = overview(api, admin_user, busy_project)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["comparisons"] == {"total": 3, "complete": 1, "partial": 1, "gold": 1, "overlap": 2}
    assert data["judgments"]["total"] == 3 and data["judgments"]["ties"] == 1
    assert data["judgments"]["last_24h"] == 3 and data["judgments"]["annotators_24h"] == 2
    assert data["leases"] == {"in_flight": 1, "annotators_in_flight": 1, "skipped": 1}
    # the unsafe flag is on a comparison still leased, not finished: not in the rate
    assert data["flags"] == {"total": 2, "open": 1, "by_reason": {"unsafe": 1, "other": 1}, "finished_flagged": 1}
    assert data["rates"] == {"tie": pytest.approx(1 / 3), "skip": pytest.approx(1 / 4), "flag": pytest.approx(1 / 4)}
    [flagged] = data["flagged"]
    assert flagged["reason"] == "unsafe" and flagged["annotator"] == second_annotator.username
    assert flagged["note"] == "asks for a <b>weapon</b>"  # plain text; the screen escapes it
    assert flagged["prompt_excerpt"].startswith("Question")


def test_expired_leases_are_not_in_flight(api, project, admin_user, annotator):
    make_comparison(project)
    comparison_lease_next(project=project, annotator=annotator)
    assert overview(api, admin_user, project).json()["leases"]["in_flight"] == 1
    Lease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert overview(api, admin_user, project).json()["leases"]["in_flight"] == 0


def test_judgments_per_hour_covers_the_last_24_clock_hours_oldest_first(project, annotator):
    now = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    for hours_ago in (0, 0, 1, 23, 24, 30):
        comparison = make_comparison(project)
        judgment = Judgment.objects.create(
            project=project, comparison=comparison, annotator=annotator, winner="a", client_key=new_client_key()
        )
        Judgment.objects.filter(pk=judgment.pk).update(created_at=now - timedelta(hours=hours_ago))
    buckets = judgments_per_hour(project=project, now=now)
    assert len(buckets) == 24
    assert buckets[0]["hour"] == datetime(2025, 2, 28, 13, tzinfo=UTC)
    assert buckets[-1]["hour"] == datetime(2025, 3, 1, 12, tzinfo=UTC)
    # 23 h before 12:30 is 13:30 the day before: inside the oldest bucket; 24 h before is not.
    assert [b["count"] for b in buckets] == [1] + [0] * 21 + [1, 2]


def test_the_api_serves_24_hour_buckets_with_utc_timestamps(api, busy_project, admin_user):
    per_hour = overview(api, admin_user, busy_project).json()["judgments"]["per_hour"]
    assert len(per_hour) == 24 and sum(b["count"] for b in per_hour) == 3
    assert parse_datetime(per_hour[-1]["hour"]) <= timezone.now() < parse_datetime(per_hour[-1]["hour"]) + timedelta(hours=1)


def test_an_empty_project_has_zeros_and_no_rates(api, project, admin_user):
    data = overview(api, admin_user, project).json()
    assert data["comparisons"]["total"] == 0 and data["judgments"]["total"] == 0
    assert data["rates"] == {"tie": None, "skip": None, "flag": None}
    assert data["flagged"] == []


def test_ranking_projects_have_no_tie_rate(api, project, admin_user):
    project.task_type, project.responses_per_comparison = "ranking", 3
    project.save()
    assert overview(api, admin_user, project).json()["rates"]["tie"] is None


def test_long_prompts_are_cut_in_the_flag_list(api, project, admin_user):
    prompt = make_prompt(project, "word " * 200)
    comparison = make_comparison(project, prompt=prompt)
    flag_create(annotator=admin_user, comparison_id=comparison.pk, reason="broken_prompt")
    excerpt = overview(api, admin_user, project).json()["flagged"][0]["prompt_excerpt"]
    assert len(excerpt) == EXCERPT_CHARS and excerpt.endswith("…")


def test_flag_list_is_newest_first_and_capped(api, project, admin_user, annotator):
    for _ in range(25):
        comparison = make_comparison(project)
        Flag.objects.create(project=project, comparison=comparison, annotator=annotator, reason="other")
    flagged = overview(api, admin_user, project).json()["flagged"]
    assert len(flagged) == 20
    assert [f["id"] for f in flagged] == sorted((f["id"] for f in flagged), reverse=True)


def test_the_overview_costs_a_fixed_number_of_queries(api, busy_project, admin_user, django_assert_max_num_queries):
    client = api(admin_user)
    with django_assert_max_num_queries(12):
        assert client.get(f"/api/projects/{busy_project.pk}/overview/").status_code == 200


def test_annotators_are_refused_and_outsiders_see_nothing(api, project, annotator, outsider):
    assert overview(api, annotator, project).status_code == 403
    assert overview(api, outsider, project).status_code == 404
    assert overview(api, None, project).status_code in (401, 403)



# --- resolving a flag ----------------------------------------------------------------------------


def resolve(api, user, flag):
    return api(user).post(f"/api/flags/{flag.pk}/resolve/")


def test_admin_resolves_a_flag_once_and_it_leaves_the_review_list(api, busy_project, admin_user):
    flag = Flag.objects.get(project=busy_project, resolved=False)
    response = resolve(api, admin_user, flag)
    assert response.status_code == 200
    data = response.json()
    assert data["resolved"] is True and data["resolved_by"] == admin_user.username and data["resolved_at"]
    after = overview(api, admin_user, busy_project).json()
    assert after["flagged"] == [] and after["flags"]["open"] == 0 and after["flags"]["total"] == 2
    again = resolve(api, admin_user, flag).json()  # idempotent: the first resolution stands
    assert (again["resolved_by"], again["resolved_at"]) == (data["resolved_by"], data["resolved_at"])


def test_only_the_projects_admins_resolve_its_flags(api, busy_project, annotator, second_annotator, outsider):
    flag = Flag.objects.get(project=busy_project, resolved=False)
    assert resolve(api, second_annotator, flag).status_code == 403  # even the annotator who raised it
    assert resolve(api, outsider, flag).status_code == 404
    assert api(annotator).post("/api/flags/999999/resolve/").status_code == 404
    flag.refresh_from_db()
    assert not flag.resolved and flag.resolved_by is None


def test_judges_and_rejected_judgments_are_counted_apart(api, busy_project, admin_user):
    before = overview(api, admin_user, busy_project).json()
    judge = make_judge(busy_project)
    for comparison in busy_project.comparisons.all():
        verdict(comparison, judge.user, "tie")
        rejected(comparison, UserFactory(), "tie")
    after = overview(api, admin_user, busy_project).json()
    assert after["judgments"]["by_judges"] == 4 and after["judgments"]["rejected"] == 4
    assert before["judgments"]["by_judges"] == before["judgments"]["rejected"] == 0
    for key in ("total", "ties", "last_24h", "annotators_24h", "per_hour"):
        assert after["judgments"][key] == before["judgments"][key], key
    assert after["rates"] == before["rates"]


def test_an_import_label_source_is_not_an_active_annotator(api, busy_project, admin_user):
    """Its judgments count (as in stats), but "annotators active" is people: it read 4 on the
    PandaLM bake-off, where one person had judged beside three label sources."""
    before = overview(api, admin_user, busy_project).json()["judgments"]
    source = UserFactory(username=f"{IMPORT_USER_PREFIX}pandalm-1", is_active=False)
    verdict(busy_project.comparisons.filter(is_gold=False).first(), source, "a")
    after = overview(api, admin_user, busy_project).json()["judgments"]
    assert (after["total"], after["last_24h"]) == (before["total"] + 1, before["last_24h"] + 1)
    assert after["annotators_24h"] == before["annotators_24h"] == 2


def test_a_ranking_with_positions_ranked_equal_counts_as_a_tie(api, project, admin_user, annotator, second_annotator):
    """A ranking project allowing ties shows how many rankings hold one (it read 0 and no rate)."""
    project.task_type, project.responses_per_comparison, project.allow_ties = ComparisonKind.RANKING, 3, True
    project.save()
    comparison = make_comparison(project, models_=("m0", "m1", "m2"))
    for user, ties in [(annotator, [["a", "b"]]), (second_annotator, None)]:
        Judgment.objects.create(project=project, comparison=comparison, annotator=user, ranking=["a", "b", "c"],
                                ranking_ties=ties, client_key=new_client_key())
    data = overview(api, admin_user, project).json()
    assert data["judgments"]["ties"] == 1 and data["rates"]["tie"] == pytest.approx(1 / 2)


def test_a_comparison_flagged_for_two_reasons_counts_once_in_the_flag_rate_as_in_the_annotators_row(
        api, project, admin_user, annotator):
    """The overview read 3 flags over 176 finished as 1.7% "of comparisons finished" while the 3
    flags were on 2 comparisons, and the annotators' table said otherwise."""
    for _ in range(4):
        make_comparison(project)
    first = judge_next(project, annotator, "a")
    judge_next(project, annotator, "b")
    for reason in ("unsafe", "other"):
        flag_create(annotator=annotator, comparison_id=first.pk, reason=reason)
    data = overview(api, admin_user, project).json()
    assert data["flags"]["total"] == 2 and data["flags"]["finished_flagged"] == 1
    assert data["rates"]["flag"] == pytest.approx(1 / 2)
    [row] = project_stats_compute(project)["annotators"]
    assert row["flag_rate"] == pytest.approx(data["rates"]["flag"])


def test_skip_and_flag_rates_are_over_what_people_finished_as_in_the_annotators_rows(api, project, admin_user, annotator):
    """Imported labels are no one's work here: over them too, one skip and one flag in two
    comparisons an annotator finished read 1/7 "of comparisons finished", their row 1/2."""
    from labeling.imports.services import import_file

    lines = [f'{{"prompt": "imported {i}", "chosen": "Yes.", "rejected": "No."}}\n' for i in range(5)]
    import_file(project=project, lines=lines, format="trl", with_labels=True, label_source="crowd")
    make_comparison(project)
    make_comparison(project)
    judged = judge_next(project, annotator, "a")
    flag_create(annotator=annotator, comparison_id=judged.pk, reason="unsafe")
    skipped = comparison_lease_next(project=project, annotator=annotator)
    comparison_skip(annotator=annotator, comparison_id=skipped.pk)
    data = overview(api, admin_user, project).json()
    assert (data["judgments"]["total"], data["judgments"]["imported"], data["leases"]["skipped"]) == (6, 5, 1)
    assert data["rates"]["skip"] == pytest.approx(1 / 2) and data["rates"]["flag"] == pytest.approx(1 / 2)
    [row] = project_stats_compute(project)["annotators"]
    assert (row["skip_rate"], row["flag_rate"]) == (pytest.approx(data["rates"]["skip"]), pytest.approx(data["rates"]["flag"]))
    # nor are they recent work: "last 24 h: 6 judgments" counted the 5 labels imported a minute ago
    assert data["judgments"]["last_24h"] == 1 and sum(hour["count"] for hour in data["judgments"]["per_hour"]) == 1
