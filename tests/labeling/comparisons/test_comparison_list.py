"""A project's admins list its comparisons (the comparison browser): a page at a time, each row with
the start of its prompt, the models by position, judgments against the overlap, gold, flags and
the agreement of its judgments; filtered by gold, flags, status, model and prompt text, ordered
among a fixed few. Anything else sent is a 400 naming the parameter; the queries per page are a
constant number."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from labeling.models import Comparison, Flag, Judgment
from labeling.review.services import judgment_review
from tests.factories import (
    ProjectFactory,
    UserFactory,
    add_member,
    make_comparison,
    make_prompt,
    new_client_key,
)
from tests.labeling.stats.judge_builders import make_judge

pytestmark = pytest.mark.django_db


def url(project_id, query=""):
    return f"/api/projects/{project_id}/comparisons/" + (f"?{query}" if query else "")


def judged(comparison, *verdicts, ranking_ties=None):
    """Judgments by new people, one per verdict (a winner, or a ranking list), counted as the
    server counts them (``judgment_count``, and the seats they hold)."""
    made = []
    for verdict in verdicts:
        ranking = verdict if isinstance(verdict, list) else None
        made.append(Judgment.objects.create(
            project=comparison.project, comparison=comparison, annotator=UserFactory(), client_key=new_client_key(),
            winner="" if ranking else verdict, ranking=ranking, ranking_ties=ranking_ties if ranking else None,
        ))
    overlap = comparison.project.overlap
    Comparison.objects.filter(pk=comparison.pk).update(
        judgment_count=len(verdicts), holders=len(verdicts), is_open=len(verdicts) < overlap,
    )
    return made


@pytest.fixture
def listed(project, annotator):
    """Overlap 2: a complete comparison two people agree on, a partial one, an unjudged gold one, a
    complete flagged one they disagree on (a flag open, one resolved), and one with a long,
    multi-turn prompt."""
    project.overlap = 2
    project.save(update_fields=["overlap"])
    agreed = make_comparison(project, models_=("llama-7b", "mistral-7b"), prompt=make_prompt(project, "Où est la GARE?"))
    judged(agreed, "a", "a")
    partial = make_comparison(project, models_=("mistral-7b", "qwen-7b"), prompt=make_prompt(project, "Write 100% of a haiku"))
    judged(partial, "b")
    gold = make_comparison(project, models_=("qwen-7b", "llama-7b"), is_gold=True, gold_answer={"winner": "a"})
    disputed = make_comparison(project, models_=("llama-7b", "qwen-7b"))
    judged(disputed, "a", "b")
    Flag.objects.create(project=project, comparison=disputed, annotator=annotator, reason="unsafe")
    Flag.objects.create(project=project, comparison=disputed, annotator=UserFactory(), reason="other", resolved=True)
    long_prompt = make_prompt(project)
    long_prompt.messages = [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "First question?"},
        {"role": "assistant", "content": "An answer."}, {"role": "user", "content": "Then:\n\n  " + "why " * 100},
    ]
    long_prompt.save()
    multi_turn = make_comparison(project, models_=("mistral-7b", "llama-7b"), prompt=long_prompt)
    return {"agreed": agreed, "partial": partial, "gold": gold, "disputed": disputed, "multi_turn": multi_turn}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_each_row_says_what_a_lead_picks_by(api, project, admin_user, listed):
    body = api(admin_user).get(url(project.pk)).json()
    assert body["count"] == 5 and body["next"] is None and body["previous"] is None
    rows = {row["id"]: row for row in body["results"]}
    agreed = rows[listed["agreed"].pk]
    assert agreed["prompt_excerpt"] == "Où est la GARE?" and agreed["prompt"] == listed["agreed"].prompt_id
    assert agreed["model_names"] == ["llama-7b", "mistral-7b"]
    assert (agreed["judgment_count"], agreed["overlap"], agreed["agreement"]) == (2, 2, 1.0)
    assert (agreed["is_gold"], agreed["is_open"], agreed["flags"], agreed["open_flags"]) == (False, False, 0, 0)
    assert rows[listed["partial"].pk]["is_open"] is True
    disputed = rows[listed["disputed"].pk]
    assert (disputed["agreement"], disputed["flags"], disputed["open_flags"]) == (0.5, 2, 1)
    assert rows[listed["partial"].pk]["agreement"] is None  # one judgment agrees with nothing
    assert rows[listed["gold"].pk]["is_gold"] is True and rows[listed["gold"].pk]["judgment_count"] == 0
    excerpt = rows[listed["multi_turn"].pk]["prompt_excerpt"]  # the last user turn, on one line, cut
    assert excerpt.startswith("Then: why why") and excerpt.endswith("…") and len(excerpt) == 160
    assert rows[listed["multi_turn"].pk]["model_names"] == ["mistral-7b", "llama-7b"]  # position order
    assert agreed["created_at"]


def test_filters_by_gold_flags_status_and_model(api, project, admin_user, listed):
    client, get = api(admin_user), lambda q: ids(api(admin_user).get(url(project.pk, q)))
    assert get("gold=true") == [listed["gold"].pk]
    assert listed["gold"].pk not in get("gold=false") and len(get("gold=false")) == 4
    assert get("flagged=true") == [listed["disputed"].pk] == get("open_flags=true")
    assert listed["disputed"].pk not in get("flagged=false")
    Flag.objects.filter(resolved=False).update(resolved=True)
    assert get("open_flags=true") == [] and get("flagged=true") == [listed["disputed"].pk]
    assert get("status=unjudged") == [listed["gold"].pk, listed["multi_turn"].pk]
    assert get("status=partial") == [listed["partial"].pk]
    assert get("status=complete") == [listed["agreed"].pk, listed["disputed"].pk]
    assert get("model=qwen-7b") == [listed["partial"].pk, listed["gold"].pk, listed["disputed"].pk]
    assert get("model=qwen") == []  # a model's exact name
    assert get("model=llama-7b&status=complete&flagged=true") == [listed["disputed"].pk]
    assert client.get(url(project.pk, "gold=1")).json()["count"] == 1


def test_searches_the_prompts_last_turn_in_any_case(api, project, admin_user, listed):
    get = lambda q: ids(api(admin_user).get(url(project.pk), {"q": q}))  # noqa: E731
    assert get("gare") == [listed["agreed"].pk] == get("où est")
    assert get("100%") == [listed["partial"].pk]  # % is text, not a wildcard
    assert get("1_0") == []
    assert get("why why") == [listed["multi_turn"].pk]
    assert get("First question") == []  # an earlier turn
    assert get("  ") == ids(api(admin_user).get(url(project.pk)))  # blank: no search


def test_orders_among_a_fixed_few_and_pages(api, project, admin_user, listed):
    client = api(admin_user)
    everything = ids(client.get(url(project.pk)))
    assert everything == sorted(everything)
    assert ids(client.get(url(project.pk, "ordering=-id"))) == everything[::-1]
    by_count = ids(client.get(url(project.pk, "ordering=-judgment_count")))
    assert by_count == [listed["agreed"].pk, listed["disputed"].pk, listed["partial"].pk, listed["gold"].pk, listed["multi_turn"].pk]
    assert ids(client.get(url(project.pk, "ordering=created_at"))) == everything
    first = client.get(url(project.pk, "limit=2")).json()
    assert first["count"] == 5 and [r["id"] for r in first["results"]] == everything[:2]
    assert first["previous"] is None and "offset=2" in first["next"]
    last = client.get(url(project.pk, "limit=2&offset=4")).json()
    assert [r["id"] for r in last["results"]] == everything[4:] and last["next"] is None and last["previous"]


@pytest.mark.parametrize(("query", "named"), [
    ("ordering=prompt", "ordering"), ("ordering=-holders", "ordering"), ("status=done", "status"),
    ("gold=maybe", "gold"), ("flagged=on", "flagged"), ("open_flags=2", "open_flags"),
    ("limit=0", "limit"), ("limit=201", "limit"), ("offset=-1", "offset"), ("limit=abc", "limit"),
    ("q=" + "x" * 201, "q"), ("model=" + "m" * 201, "model"), ("q=a%00b", "q"),
])
def test_anything_else_is_a_400_naming_the_parameter(api, project, admin_user, query, named):
    response = api(admin_user).get(url(project.pk, query))
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(named)


def test_only_the_projects_admins_list_its_comparisons(api, project, annotator, outsider, admin_user, listed):
    assert api(admin_user).get(url(project.pk)).status_code == 200
    assert api(annotator).get(url(project.pk)).status_code == 403
    assert api(outsider).get(url(project.pk)).status_code == 404
    assert api(None).get(url(project.pk)).status_code == 401
    assert api(admin_user).get(url(10**9)).status_code == 404
    elsewhere = ProjectFactory(slug="other-project")
    make_comparison(elsewhere)
    add_member(elsewhere, admin_user, "admin")
    assert ids(api(admin_user).get(url(elsewhere.pk))) == list(elsewhere.comparisons.values_list("pk", flat=True))
    assert not set(ids(api(admin_user).get(url(project.pk)))) & set(elsewhere.comparisons.values_list("pk", flat=True))


def test_agreement_counts_peoples_judgments_only_and_rankings_by_their_groups(api, admin_user, project, listed):
    """A judge's verdict and a rejected judgment are not in it; "a = b > c" is one verdict however
    the tied letters are listed."""
    disputed = listed["disputed"]
    judge = make_judge(project)
    Judgment.objects.create(project=project, comparison=disputed, annotator=judge.user, winner="a", client_key=new_client_key())
    third = judged(make_comparison(project), "a", "b", "a")
    judgment_review(judgment=third[1], reviewer=admin_user, review="rejected", note="no")
    rows = {r["id"]: r for r in api(admin_user).get(url(project.pk)).json()["results"]}
    assert rows[disputed.pk]["agreement"] == 0.5 and rows[third[0].comparison_id]["agreement"] == 1.0

    ranked = ProjectFactory(task_type="ranking", responses_per_comparison=3, strength_scale=[], allow_ties=True)
    add_member(ranked, admin_user, "admin")
    comparison = make_comparison(ranked, models_=("x", "y", "z"))
    judged(comparison, ["a", "b", "c"], ["b", "a", "c"], ranking_ties=[["a", "b"]])
    judged(make_comparison(ranked, models_=("x", "y", "w")), ["a", "b", "c"], ["b", "a", "c"])
    agreement = [r["agreement"] for r in api(admin_user).get(url(ranked.pk)).json()["results"]]
    assert agreement == [1.0, 0.5]


def test_a_page_costs_the_same_queries_however_many_rows(api, project, admin_user, annotator):
    client = api(admin_user)

    def queries_for_a_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(project.pk, "limit=100&flagged=true&q=question")).status_code == 200
        return len(captured)

    def add(n):
        for _ in range(n):
            comparison = make_comparison(project, models_=("m1", "m2"))
            judged(comparison, "a", "b")
            Flag.objects.create(project=project, comparison=comparison, annotator=annotator, reason="other")

    add(2)
    few = queries_for_a_page()
    add(10)
    assert client.get(url(project.pk, "limit=100&flagged=true&q=question")).json()["count"] == 12
    assert queries_for_a_page() == few
