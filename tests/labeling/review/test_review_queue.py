"""The review queue's filters (annotator, flagged, disagreement, wrong on gold) and its pages."""

import pytest

from labeling.models import Flag, Judgment
from tests.factories import ProjectFactory, UserFactory, add_member, make_comparison

pytestmark = pytest.mark.django_db


def judgment(comparison, user, **verdict):
    return Judgment.objects.create(
        project=comparison.project, comparison=comparison, annotator=user,
        client_key=f"k-{comparison.pk}-{user.pk}", **verdict,
    )


def listed(api, user, project, query=""):
    response = api(user).get(f"/api/projects/{project.pk}/review/{query}")
    assert response.status_code == 200, response.content
    return [entry["id"] for entry in response.json()["results"]]


@pytest.fixture
def crowd(project):
    users = [UserFactory(username=f"crowd-{n}") for n in range(4)]
    for user in users:
        add_member(project, user)
    return users


def test_filters_by_annotator_flag_disagreement_and_gold(api, project, admin_user, crowd):
    a, b, c, d = crowd
    split = make_comparison(project)  # a, b and c say "a"; d says "b": d disagrees with the majority
    split_verdicts = [judgment(split, u, winner=w, strength=1) for u, w in ((a, "a"), (b, "a"), (c, "a"), (d, "b"))]
    even = make_comparison(project)  # one each way: each disagrees with the only other
    pair = [judgment(even, a, winner="a", strength=1), judgment(even, b, winner="b", strength=1)]
    gold = make_comparison(project, is_gold=True, gold_answer={"winner": "b"})
    right, wrong = judgment(gold, a, winner="b", strength=1), judgment(gold, b, winner="a", strength=2)
    Flag.objects.create(project=project, comparison=even, annotator=c, reason="unsafe")

    assert listed(api, admin_user, project, f"?annotator={d.username}") == [split_verdicts[3].pk]
    assert listed(api, admin_user, project, "?flagged=1") == [p.pk for p in pair]
    # On gold too, each of two different verdicts disagrees with the only other.
    assert listed(api, admin_user, project, "?disagrees=1") == [split_verdicts[3].pk, *[p.pk for p in pair], right.pk, wrong.pk]
    assert listed(api, admin_user, project, "?wrong_on_gold=1") == [wrong.pk]
    assert listed(api, admin_user, project, f"?disagrees=1&annotator={a.username}") == [pair[0].pk, right.pk]
    entry = api(admin_user).get(f"/api/projects/{project.pk}/review/?wrong_on_gold=1").json()["results"][0]
    assert entry["comparison"]["gold_answer"] == {"winner": "b"} and entry["wrong_on_gold"] is True
    entry = api(admin_user).get(f"/api/projects/{project.pk}/review/?annotator={d.username}").json()["results"][0]
    assert (entry["others"], entry["agreeing"], entry["flags"]) == (3, 0, 0)


@pytest.mark.parametrize("name", ["flagged", "disagrees", "wrong_on_gold"])
def test_a_filter_that_is_not_true_or_false_is_400_naming_it(api, project, admin_user, name):
    """It read as false, so ``?flagged=on`` listed every judgment as if unfiltered."""
    response = api(admin_user).get(f"/api/projects/{project.pk}/review/?{name}=on")
    assert response.status_code == 400 and response.json()["field"] == name


def test_rejected_judgments_leave_the_majority_they_were_counted_in(api, project, admin_user, crowd):
    a, b, c, _ = crowd
    comparison = make_comparison(project)
    first, second = judgment(comparison, a, winner="a", strength=1), judgment(comparison, b, winner="b", strength=1)
    judgment(comparison, c, winner="b", strength=1, review="rejected", review_note="no")
    assert listed(api, admin_user, project, "?disagrees=1") == [first.pk, second.pk]  # one against one
    assert listed(api, admin_user, project, "?state=rejected") != []
    assert len(listed(api, admin_user, project, "?state=all")) == 3


def test_ranking_disagreement_and_gold_compare_the_whole_order(api, admin_user, crowd):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3, strength_scale=[])
    add_member(project, admin_user, "admin")
    a, b, c, _ = crowd
    comparison = make_comparison(project, models_=("x", "y", "z"))
    same = [judgment(comparison, u, ranking=["a", "b", "c"]) for u in (a, b)]
    other = judgment(comparison, c, ranking=["a", "c", "b"])
    gold = make_comparison(project, models_=("x", "y", "z"), is_gold=True, gold_answer={"ranking": ["c", "b", "a"]})
    hit, miss = judgment(gold, a, ranking=["c", "b", "a"]), judgment(gold, b, ranking=["c", "a", "b"])
    assert listed(api, admin_user, project, "?disagrees=1") == [other.pk, hit.pk, miss.pk]
    assert same[0].pk not in listed(api, admin_user, project, "?disagrees=1")
    assert listed(api, admin_user, project, "?wrong_on_gold=1") == [miss.pk]


def test_the_queue_comes_in_pages_oldest_first(api, project, admin_user, crowd):
    made = [judgment(make_comparison(project), crowd[0], winner="a", strength=1) for _ in range(5)]
    page = api(admin_user).get(f"/api/projects/{project.pk}/review/?limit=2&offset=2").json()
    assert page["count"] == 5 and [e["id"] for e in page["results"]] == [j.pk for j in made[2:4]]
    assert page["next"] and page["previous"]


def test_bad_filters_are_400(api, project, admin_user):
    assert api(admin_user).get(f"/api/projects/{project.pk}/review/?annotator=nobody").json()["count"] == 0
    for query in ("?state=maybe",):
        assert api(admin_user).get(f"/api/projects/{project.pk}/review/{query}").status_code == 400, query


def test_a_ranking_with_other_ties_disagrees_and_the_entry_shows_its_ties(api, admin_user, crowd):
    """a = b > c and a > b > c are different verdicts: with a third ranking a > b > c, the tie is the
    one that disagrees; the queue shows each entry's ranking_ties ([] for a ranking without)."""
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3, strength_scale=[], allow_ties=True)
    add_member(project, admin_user, "admin")
    a, b, c, _ = crowd
    comparison = make_comparison(project, models_=("x", "y", "z"))
    tied = judgment(comparison, a, ranking=["a", "b", "c"], ranking_ties=[["a", "b"]])
    plain = [judgment(comparison, u, ranking=["a", "b", "c"]) for u in (b, c)]
    assert listed(api, admin_user, project, "?disagrees=1") == [tied.pk]
    entries = api(admin_user).get(f"/api/projects/{project.pk}/review/?state=all").json()["results"]
    assert [(e["id"], e["ranking_ties"], e["agreeing"]) for e in entries] == [
        (tied.pk, [["a", "b"]], 0), (plain[0].pk, [], 1), (plain[1].pk, [], 1),
    ]
