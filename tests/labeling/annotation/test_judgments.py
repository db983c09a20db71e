"""judgment_create / judgment_undo / comparison_skip / flag_create / demonstration_create, and rankings."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from hypothesis import given
from hypothesis import strategies as st

from labeling.annotation.assignment import comparison_lease_next, lease_expire_due
from labeling.annotation.flags import comparison_skip, flag_create
from labeling.annotation.judgments import (
    EDIT_WINDOW,
    demonstration_create,
    judgment_create,
    judgment_undo,
)
from labeling.errors import Conflict, Gone, InvalidInput, NotFound
from labeling.imports.services import import_file
from labeling.models import (
    IMPORTED_KEY_PREFIX,
    Comparison,
    Demonstration,
    Flag,
    Judgment,
    Lease,
    LeaseState,
    ProjectStats,
)
from labeling.projects.flags import flag_resolve
from labeling.rankings import is_full_ranking, position_letters, ranking_pairs
from tests.factories import ProjectFactory, make_comparison, new_client_key


@pytest.fixture
def leased(project, annotator):
    """A comparison leased to ``annotator``."""
    comparison = make_comparison(project)
    assert comparison_lease_next(project=project, annotator=annotator) == comparison
    return comparison


def submit(user, comparison, **result):
    result.setdefault("client_key", new_client_key())
    if "ranking" not in result:
        result.setdefault("winner", "a")
        result.setdefault("strength", None if result["winner"] == "tie" else 2)
    return judgment_create(annotator=user, comparison_id=comparison.pk, **result)


def counters(comparison):
    comparison.refresh_from_db()
    return comparison.judgment_count, comparison.holders, comparison.is_open


def lease_state(comparison, user):
    return Lease.objects.get(comparison=comparison, annotator=user).state


def expire(comparison, user):
    Lease.objects.filter(comparison=comparison, annotator=user).update(
        expires_at=Lease.objects.get(comparison=comparison, annotator=user).created_at - timedelta(minutes=1)
    )


# --- submit -------------------------------------------------------------------------------


def test_a_valid_submit_stores_the_judgment_and_closes_the_lease(leased, annotator):
    judgment, created = submit(annotator, leased, winner="b", strength=3, rationale="clearer", time_spent_ms=4200)
    assert created
    assert (judgment.winner, judgment.strength, judgment.rationale, judgment.time_spent_ms) == ("b", 3, "clearer", 4200)
    assert lease_state(leased, annotator) == LeaseState.JUDGED
    assert counters(leased) == (1, 1, False)


def test_an_annotators_key_can_never_take_an_imported_labels_key(project, annotator):
    line = [json.dumps({"chosen": "\n\nHuman: Hi\n\nAssistant: Hello", "rejected": "\n\nHuman: Hi\n\nAssistant: Go"})]
    import_file(project=ProjectFactory(), lines=line, format="hh-rlhf", with_labels=True)  # makes the label source
    source = get_user_model().objects.get(username__startswith=IMPORTED_KEY_PREFIX)
    import_file(project=project, lines=line, format="hh-rlhf")
    comparison = comparison_lease_next(project=project, annotator=annotator)
    imported_key = f"{IMPORTED_KEY_PREFIX}{project.pk}:{source.pk}:{comparison.pk}"
    with pytest.raises(InvalidInput, match="client_key must not start with 'import:'"):
        submit(annotator, comparison, client_key=imported_key)
    import_file(project=project, lines=line, format="hh-rlhf", with_labels=True)
    assert Judgment.objects.get(comparison=comparison).annotator == source  # the label was not taken


def test_resubmit_with_same_key_stores_nothing(leased, annotator):
    first, _ = submit(annotator, leased, client_key="k-1")
    again, created = submit(annotator, leased, client_key="k-1")
    assert (again.pk, again.winner, created) == (first.pk, "a", False)
    assert Judgment.objects.count() == 1
    assert counters(leased)[0] == 1


def test_the_same_key_with_another_verdict_is_a_conflict_and_the_first_stays(leased, annotator):
    first, _ = submit(annotator, leased, client_key="k-1")
    for changed in ({"winner": "b"}, {"strength": 1}):
        with pytest.raises(Conflict, match=f"already used for judgment {first.pk}, with another verdict"):
            submit(annotator, leased, client_key="k-1", **changed)
    assert list(Judgment.objects.values_list("winner", "strength")) == [("a", 2)]


def test_the_same_key_from_another_annotator_is_a_conflict(project, leased, annotator, second_annotator):
    submit(annotator, leased, client_key="shared")
    other = make_comparison(project)
    comparison_lease_next(project=project, annotator=second_annotator)
    with pytest.raises(Conflict, match="client_key"):
        submit(second_annotator, other, client_key="shared")
    assert Judgment.objects.count() == 1


def test_the_same_key_for_another_comparison_is_a_conflict(project, leased, annotator):
    submit(annotator, leased, client_key="k-2")
    other = make_comparison(project)
    comparison_lease_next(project=project, annotator=annotator)
    with pytest.raises(Conflict, match="client_key"):
        submit(annotator, other, client_key="k-2")
    assert lease_state(other, annotator) == LeaseState.ACTIVE


def test_a_submit_without_a_lease_is_a_conflict_and_stores_nothing(project, annotator):
    comparison = make_comparison(project)
    with pytest.raises(Conflict, match="no lease"):
        submit(annotator, comparison)
    assert Judgment.objects.count() == 0
    assert counters(comparison) == (0, 0, True)


def test_judging_twice_with_a_new_key_is_a_conflict(leased, annotator):
    submit(annotator, leased)
    with pytest.raises(Conflict, match="already judged"):
        submit(annotator, leased)
    assert counters(leased)[0] == 1


def test_outsiders_cannot_see_the_comparison(leased, outsider):
    with pytest.raises(NotFound):
        submit(outsider, leased)


def test_a_late_submit_is_accepted_while_a_seat_is_free(project, leased, annotator):
    expire(leased, annotator)
    assert lease_expire_due(project=project) == 1
    assert lease_state(leased, annotator) == LeaseState.EXPIRED
    judgment, created = submit(annotator, leased)
    assert created
    assert counters(leased) == (1, 1, False)


def test_a_late_submit_is_refused_once_others_took_the_seat(project, leased, annotator, second_annotator):
    expire(leased, annotator)
    assert comparison_lease_next(project=project, annotator=second_annotator) == leased
    with pytest.raises(Conflict, match="expired") as refused:
        submit(annotator, leased)
    assert refused.value.details["reason"] == "full"
    assert Judgment.objects.count() == 0
    assert counters(leased) == (0, 1, False)


def test_an_expired_but_unreclaimed_lease_still_holds_its_seat(leased, annotator):
    expire(leased, annotator)
    assert submit(annotator, leased)[1]
    assert counters(leased) == (1, 1, False)


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "result, message",
    [
        ({"winner": "c"}, "winner must be one of"),
        ({"winner": "a", "strength": None}, "strength is required"),
        ({"winner": "a", "strength": 4}, "strength is required"),
        ({"winner": "a", "strength": 0}, "strength is required"),
        ({"winner": "a", "strength": True}, "strength is required"),
        ({"winner": "tie", "strength": 1}, "a tie has no strength"),
        ({"winner": "a", "strength": 1, "ranking": ["a", "b"]}, "not 'ranking'"),
        ({"winner": "a", "strength": 1, "criteria": {"helpful": {"winner": "a"}}}, "criteria must have exactly"),
        ({"winner": "a", "strength": 1, "time_spent_ms": -1}, "time_spent_ms"),
        ({"winner": "a", "strength": 1, "client_key": "x" * 65}, "client_key"),
    ],
)
def test_a_malformed_pairwise_result_is_rejected_and_stores_nothing(leased, annotator, result, message):
    with pytest.raises(InvalidInput, match=message):
        submit(annotator, leased, **result)
    assert Judgment.objects.count() == 0
    assert lease_state(leased, annotator) == LeaseState.ACTIVE
    assert counters(leased) == (0, 1, False)


def test_a_tie_is_refused_where_ties_are_not_allowed(project, leased, annotator):
    project.allow_ties = False
    project.save()
    with pytest.raises(InvalidInput, match="does not allow ties"):
        submit(annotator, leased, winner="tie")


def test_a_tie_stores_no_strength(leased, annotator):
    assert submit(annotator, leased, winner="tie")[0].strength is None


def test_without_a_scale_strength_must_be_null(project, leased, annotator):
    project.strength_scale = []
    project.save()
    with pytest.raises(InvalidInput, match="no strength scale"):
        submit(annotator, leased, strength=1)
    assert submit(annotator, leased, strength=None)[0].strength is None


def test_criteria_are_judged_like_the_main_result(project, leased, annotator):
    project.criteria = ["helpful", "harmless"]
    project.save()
    with pytest.raises(InvalidInput, match="criteria.harmless.strength"):
        submit(annotator, leased, criteria={"helpful": {"winner": "a", "strength": 1}, "harmless": {"winner": "b", "strength": 9}})
    with pytest.raises(InvalidInput, match="exactly this project's criteria"):
        submit(annotator, leased, criteria={"helpful": {"winner": "a", "strength": 1}})
    criteria = {"helpful": {"winner": "a", "strength": 1}, "harmless": {"winner": "tie"}}
    judgment, _ = submit(annotator, leased, criteria=criteria)
    assert judgment.criteria == {"helpful": {"winner": "a", "strength": 1}, "harmless": {"winner": "tie", "strength": None}}


@pytest.fixture
def ranking_leased(project, annotator):
    project.task_type, project.responses_per_comparison, project.criteria = "ranking", 3, ["helpful"]
    project.save()
    comparison = make_comparison(project, models_=("m1", "m2", "m3"))
    comparison_lease_next(project=project, annotator=annotator)
    return comparison


@pytest.mark.parametrize("ranking", [["a", "b"], ["a", "a", "b"], ["a", "b", "d"], "abc", None])
def test_a_ranking_must_name_every_response_once(ranking_leased, annotator, ranking):
    with pytest.raises(InvalidInput, match="exactly once"):
        submit(annotator, ranking_leased, ranking=ranking, criteria={"helpful": {"ranking": ["a", "b", "c"]}})


def test_a_full_ranking_is_stored_as_given(ranking_leased, annotator):
    judgment, _ = submit(annotator, ranking_leased, ranking=["c", "a", "b"], criteria={"helpful": {"ranking": ["a", "c", "b"]}})
    assert (judgment.ranking, judgment.winner, judgment.strength) == (["c", "a", "b"], "", None)
    assert judgment.criteria == {"helpful": {"ranking": ["a", "c", "b"]}}


def test_a_ranking_project_refuses_a_winner(ranking_leased, annotator):
    with pytest.raises(InvalidInput, match="takes 'ranking'"):
        submit(annotator, ranking_leased, winner="a", ranking=["a", "b", "c"], criteria={"helpful": {"ranking": ["a", "b", "c"]}})


# --- undo ----------------------------------------------------------------------------------


def test_undo_within_the_window_gives_the_comparison_back(project, leased, annotator):
    judgment, _ = submit(annotator, leased)
    assert judgment_undo(annotator=annotator, judgment_id=judgment.pk) == leased
    assert not Judgment.objects.exists()
    assert lease_state(leased, annotator) == LeaseState.ACTIVE
    assert counters(leased) == (0, 1, False)
    assert comparison_lease_next(project=project, annotator=annotator) == leased
    assert submit(annotator, leased, winner="b")[1]


def test_a_late_retry_of_an_undone_submit_stores_nothing(project, leased, annotator):
    key = new_client_key()
    judgment, _ = submit(annotator, leased, client_key=key)
    judgment_undo(annotator=annotator, judgment_id=judgment.pk)
    with pytest.raises(Gone, match="undone"):
        submit(annotator, leased, client_key=key)  # the first submit's lost-response retry
    assert not Judgment.objects.exists() and lease_state(leased, annotator) == LeaseState.ACTIVE
    again, created = submit(annotator, leased, winner="b")  # judging again takes a new key
    assert created and again.winner == "b"
    with pytest.raises(Gone):
        submit(annotator, leased, client_key=key)  # and the old one stays spent
    assert list(Judgment.objects.values_list("pk", flat=True)) == [again.pk]


def test_an_undone_key_from_another_annotator_is_a_conflict_not_gone(project, leased, annotator, second_annotator):
    key = new_client_key()
    judgment, _ = submit(annotator, leased, client_key=key)
    judgment_undo(annotator=annotator, judgment_id=judgment.pk)
    make_comparison(project)
    theirs = comparison_lease_next(project=project, annotator=second_annotator)
    with pytest.raises(Conflict, match="another judgment"):
        submit(second_annotator, theirs, client_key=key)


def test_undo_after_the_window_is_a_conflict(leased, annotator):
    judgment, _ = submit(annotator, leased)
    Judgment.objects.filter(pk=judgment.pk).update(created_at=judgment.created_at - EDIT_WINDOW - timedelta(seconds=1))
    with pytest.raises(Conflict, match="edit window"):
        judgment_undo(annotator=annotator, judgment_id=judgment.pk)
    assert Judgment.objects.count() == 1


def test_nobody_can_undo_someone_elses_judgment(leased, annotator, second_annotator, admin_user):
    judgment, _ = submit(annotator, leased)
    for user in (second_annotator, admin_user):
        with pytest.raises(NotFound):
            judgment_undo(annotator=user, judgment_id=judgment.pk)


# --- skip, flag, demonstration ---------------------------------------------------------------


def test_skip_frees_the_seat_and_is_safe_to_retry(leased, annotator):
    comparison_skip(annotator=annotator, comparison_id=leased.pk)
    comparison_skip(annotator=annotator, comparison_id=leased.pk)
    assert lease_state(leased, annotator) == LeaseState.SKIPPED
    assert counters(leased) == (0, 0, True)
    assert not Flag.objects.exists()


def test_skip_with_a_reason_records_a_flag(leased, annotator):
    comparison_skip(annotator=annotator, comparison_id=leased.pk, reason="unsafe", note="slur in b")
    flag = Flag.objects.get()
    assert (flag.reason, flag.note, flag.annotator, flag.comparison) == ("unsafe", "slur in b", annotator, leased)


def test_skipping_a_judged_comparison_is_a_conflict(leased, annotator):
    submit(annotator, leased)
    with pytest.raises(Conflict, match="undo"):
        comparison_skip(annotator=annotator, comparison_id=leased.pk)
    assert counters(leased) == (1, 1, False)


def test_a_flag_does_not_skip(leased, annotator):
    flag, created = flag_create(annotator=annotator, comparison_id=leased.pk, reason="broken_prompt")
    assert created and flag.reason == "broken_prompt"
    assert flag_create(annotator=annotator, comparison_id=leased.pk, reason="broken_prompt") == (flag, False)
    assert lease_state(leased, annotator) == LeaseState.ACTIVE


def test_a_flag_reported_again_after_an_admin_resolved_it_is_reopened_with_the_new_note(leased, annotator, admin_user):
    flag, _ = flag_create(annotator=annotator, comparison_id=leased.pk, reason="other", note="typo in A")
    flag_resolve(flag=flag, user=admin_user)
    again, created = flag_create(annotator=annotator, comparison_id=leased.pk, reason="other", note="now B is cut off")
    assert created and again.pk == flag.pk
    again.refresh_from_db()
    assert (again.resolved, again.resolved_by, again.note) == (False, None, "now B is cut off")
    assert again.created_at > flag.created_at  # listed as the new report it is


def test_an_open_flag_repeated_takes_the_new_note_and_is_no_new_report(leased, annotator):
    flag_create(annotator=annotator, comparison_id=leased.pk, reason="other", note="first words")
    flag, created = flag_create(annotator=annotator, comparison_id=leased.pk, reason="other", note="better words")
    assert not created and Flag.objects.get().note == "better words"
    assert flag_create(annotator=annotator, comparison_id=leased.pk, reason="other")[0].note == "better words"


def test_a_flag_needs_a_known_reason(leased, annotator):
    with pytest.raises(InvalidInput, match="reason must be one of"):
        flag_create(annotator=annotator, comparison_id=leased.pk, reason="boring")


def test_annotators_flag_only_what_they_were_served_but_admins_flag_anything(project, annotator, admin_user):
    unseen = make_comparison(project)
    with pytest.raises(NotFound):
        flag_create(annotator=annotator, comparison_id=unseen.pk, reason="other")
    assert flag_create(annotator=admin_user, comparison_id=unseen.pk, reason="other")[1]


def test_a_demonstration_is_idempotent_on_its_key(project, leased, annotator):
    project.collect_demonstrations = True
    project.save()
    first, created = demonstration_create(annotator=annotator, prompt_id=leased.prompt_id, text="Ideal.", client_key="d-1")
    again, created_again = demonstration_create(annotator=annotator, prompt_id=leased.prompt_id, text="Ideal.", client_key="d-1")
    assert (created, created_again, again.pk, again.text) == (True, False, first.pk, "Ideal.")
    with pytest.raises(Conflict, match=f"already used for demonstration {first.pk}, with another text; that one is kept"):
        demonstration_create(annotator=annotator, prompt_id=leased.prompt_id, text="Other", client_key="d-1")
    assert Demonstration.objects.count() == 1


def test_writing_again_for_a_prompt_replaces_ones_demonstration_and_a_late_retry_changes_nothing(
        project, leased, annotator, second_annotator):
    """An undo, an edit and a second submit sent a second demonstration for the prompt, and both
    went into the SFT export: the first draft beside its correction."""
    project.collect_demonstrations = True
    project.save()
    prompt = leased.prompt_id
    first, _ = demonstration_create(annotator=annotator, prompt_id=prompt, text="Draft.", client_key="d-1")
    edited, created = demonstration_create(annotator=annotator, prompt_id=prompt, text="Fixed.", client_key="d-2")
    assert created and edited.pk != first.pk
    first.refresh_from_db()
    assert first.replaced_by_id == edited.pk and edited.replaced_by_id is None
    retried, created = demonstration_create(annotator=annotator, prompt_id=prompt, text="Draft.", client_key="d-1")
    assert (retried.pk, created) == (first.pk, False)  # a late retry of the first is answered, not stored again
    same_prompt = make_comparison(project, models_=("model-c", "model-d"), prompt=leased.prompt)
    assert comparison_lease_next(project=project, annotator=second_annotator) == same_prompt
    theirs, _ = demonstration_create(annotator=second_annotator, prompt_id=prompt, text="Mine.", client_key="d-3")
    current = Demonstration.objects.filter(replaced_by=None).order_by("pk")
    assert [(d.annotator_id, d.text) for d in current] == [(annotator.pk, "Fixed."), (second_annotator.pk, "Mine.")]


def test_no_demonstrations_where_the_project_does_not_collect_them(leased, annotator):
    with pytest.raises(InvalidInput, match="does not collect demonstrations"):
        demonstration_create(annotator=annotator, prompt_id=leased.prompt_id, text="Ideal.", client_key="d-2")


def test_demonstrations_only_for_prompts_one_was_served(project, annotator, outsider):
    project.collect_demonstrations = True
    project.save()
    unseen = make_comparison(project)
    for user in (annotator, outsider):
        with pytest.raises(NotFound):
            demonstration_create(annotator=user, prompt_id=unseen.prompt_id, text="x", client_key=new_client_key())


# --- the stats hook ----------------------------------------------------------------------------


def test_a_submit_marks_the_stats_out_of_date_in_its_own_transaction(leased, annotator):
    assert not ProjectStats.objects.get(project=leased.project).dirty
    submit(annotator, leased)
    assert ProjectStats.objects.get(project=leased.project).dirty


def test_a_broker_outage_after_commit_loses_no_judgment(
    monkeypatch, caplog, leased, annotator, django_capture_on_commit_callbacks
):
    from labeling import tasks

    def broker_down(**kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.project_stats_recompute, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        judgment, created = submit(annotator, leased)
    assert created and Judgment.objects.filter(pk=judgment.pk).exists()
    assert ProjectStats.objects.get(project=leased.project).dirty  # the stats read will resend it


def test_counters_stay_consistent_after_a_mixed_day(project, annotator, second_annotator):
    project.overlap = 2
    project.save()
    comparisons = [make_comparison(project) for _ in range(4)]
    for user in (annotator, second_annotator):
        submit(user, comparison_lease_next(project=project, annotator=user))
        comparison_skip(annotator=user, comparison_id=comparison_lease_next(project=project, annotator=user).pk)
    for comparison in Comparison.objects.filter(pk__in=[c.pk for c in comparisons]):
        live = Lease.objects.filter(comparison=comparison, state__in=[LeaseState.ACTIVE, LeaseState.JUDGED]).count()
        assert comparison.holders == live
        assert comparison.judgment_count == Judgment.objects.filter(comparison=comparison).count()
        assert comparison.is_open == (live < 2)


# --- rankings -----------------------------------------------------------------------------------


def test_a_ranking_expands_into_its_implied_pairs():
    assert ranking_pairs(["b", "a", "c"]) == [("b", "a"), ("b", "c"), ("a", "c")]


@given(st.integers(min_value=2, max_value=8).flatmap(lambda k: st.permutations(position_letters(k))))
def test_a_ranking_of_k_gives_k_choose_2_pairs_each_once(ranking):
    pairs = ranking_pairs(ranking)
    k = len(ranking)
    assert len(pairs) == k * (k - 1) // 2
    assert {frozenset(p) for p in pairs} == {frozenset((a, b)) for a in ranking for b in ranking if a != b}
    assert all(ranking.index(w) < ranking.index(loser) for w, loser in pairs)
    assert is_full_ranking(list(ranking), k)


def test_a_ranking_with_a_repeat_is_refused():
    with pytest.raises(ValueError):
        ranking_pairs(["a", "a"])
