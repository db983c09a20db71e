"""Judges and their judgments (issue #18).

A judge is an annotator of kind model: a ``Judge`` row and an inactive user named after it,
under which its judgments are stored. Those judgments never take a seat: no lease is made and a
comparison's ``holders``, ``judgment_count`` and ``is_open`` stay as the humans left them, so
overlap counts humans only; the stats tell a judge's judgments from humans' by its Judge row.
A judge has one judgment per comparison (as any annotator): judging again updates it where the
verdict changed (a review of the old verdict is cleared) and leaves it, review and all, where it
did not.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction

from labeling.errors import InvalidInput
from labeling.models import (
    IMPORTED_KEY_PREFIX,
    Comparison,
    ComparisonKind,
    Judge,
    Judgment,
    Project,
)
from labeling.rankings import LETTERS
from labeling.stats.services import project_stats_changed

# Annotators' client keys may not start with IMPORTED_KEY_PREFIX, so a judge's never meet theirs.
JUDGE_KEY_PREFIX = f"{IMPORTED_KEY_PREFIX}judge:"
UNREVIEWED = {"review": "", "review_note": "", "reviewed_by": None, "reviewed_at": None}
VERDICT_FIELDS = ["winner", "strength", "ranking", "criteria", "rationale", *UNREVIEWED]
CHUNK = 1000


def judge_for_checkpoint(*, project: Project, checkpoint_id: int | None, name: str, kind: str) -> Judge:
    """The project's judge of checkpoint ``checkpoint_id`` of ``kind`` (an endpoint judge: None,
    one judge per model ``name``), made with its inactive user on first use and named ``name``
    (the checkpoint's or the endpoint model's), or ``name #id`` where another of the project's
    judges has that name already."""
    same = {"checkpoint_id": checkpoint_id, "kind": kind} | ({} if checkpoint_id else {"name": name})
    found = Judge.objects.filter(project=project, **same).first()
    if found is not None:
        return found
    if Judge.objects.filter(project=project, name=name).exists():
        name = f"{name} #{checkpoint_id}" if checkpoint_id else f"{name} ({kind})"
    username = f"judge:{project.pk}:{name}"[:150]
    try:
        with transaction.atomic():
            user, _ = get_user_model().objects.get_or_create(
                username=username, defaults={"is_active": False, "password": make_password(None)}
            )
            judge, _ = Judge.objects.get_or_create(
                user=user, defaults={"project": project, "name": name, "kind": kind, "checkpoint_id": checkpoint_id}
            )
    except IntegrityError:  # a concurrent run made it first
        judge = Judge.objects.get(project=project, **same)
    return judge


def judge_verdicts_store(*, judge: Judge, verdicts: list[dict]) -> dict:
    """Store ``verdicts`` (training.ml.judge records: comparison_id, winner/strength or ranking,
    criteria, rationale) as ``judge``'s judgments, in one transaction; no seat, no lease.

    Returns {"created", "updated", "unchanged", "missing"}: missing counts verdicts on
    comparisons gone from the project since the run read them."""
    project = judge.project
    fields = {v["comparison_id"]: verdict_fields(project, v) for v in verdicts}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "missing": 0}
    with transaction.atomic():
        ids = list(fields)
        for chunk in (ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)):
            _store_chunk(judge, {cid: fields[cid] for cid in chunk}, counts)
        if counts["created"] or counts["updated"]:
            project_stats_changed(project.pk)
    return counts


def _store_chunk(judge: Judge, fields: dict[int, dict], counts: dict) -> None:
    present = set(Comparison.objects.filter(project_id=judge.project_id, id__in=fields).values_list("id", flat=True))
    stored = {j.comparison_id: j for j in Judgment.objects.filter(annotator_id=judge.user_id, comparison_id__in=fields)}
    new, changed = [], []
    for comparison_id, verdict in fields.items():
        judgment = stored.get(comparison_id)
        if comparison_id not in present:
            counts["missing"] += 1
        elif judgment is None:
            new.append(Judgment(
                project_id=judge.project_id, comparison_id=comparison_id, annotator_id=judge.user_id,
                client_key=f"{JUDGE_KEY_PREFIX}{judge.pk}:{comparison_id}", **verdict,
            ))
        elif any(getattr(judgment, name) != value for name, value in verdict.items()):
            changed.append(judgment)
            for name, value in (verdict | UNREVIEWED).items():  # a review was of the old verdict
                setattr(judgment, name, value)
        else:
            counts["unchanged"] += 1
    Judgment.objects.bulk_create(new)
    Judgment.objects.bulk_update(changed, VERDICT_FIELDS)
    counts["created"] += len(new)
    counts["updated"] += len(changed)


def verdict_fields(project: Project, verdict: dict) -> dict:
    """A verdict record as Judgment fields, checked against the project's settings."""
    where = f"verdict on comparison {verdict.get('comparison_id')}"
    criteria = verdict.get("criteria") or {}
    unknown = sorted(set(criteria) - set(project.criteria or []))
    if unknown:
        raise InvalidInput(f"{where}: the project has no criterion {', '.join(unknown)}")
    rationale = str(verdict.get("rationale", ""))
    if project.task_type == ComparisonKind.RANKING:
        for ranking in [verdict.get("ranking"), *(c.get("ranking") for c in criteria.values())]:
            _check_ranking(where, ranking)
        return {"winner": "", "strength": None, "ranking": verdict["ranking"], "criteria": criteria, "rationale": rationale}
    for pair in [verdict, *criteria.values()]:
        _check_pairwise(where, project, pair)
    main = {"winner": verdict["winner"], "strength": verdict.get("strength")}
    return {**main, "ranking": None, "criteria": criteria, "rationale": rationale}


def _check_ranking(where: str, ranking) -> None:
    if not isinstance(ranking, list) or sorted(ranking) != list(LETTERS[: len(ranking)]) or len(ranking) < 2:
        raise InvalidInput(f"{where}: a ranking lists every position letter once, got {ranking!r}")


def _check_pairwise(where: str, project: Project, pair: dict) -> None:
    winner, strength = pair.get("winner"), pair.get("strength")
    if winner not in ("a", "b", "tie") or (winner == "tie" and not project.allow_ties):
        raise InvalidInput(f"{where}: winner {winner!r} is not a verdict this project allows")
    levels = len(project.strength_scale or [])
    if strength is not None and (winner == "tie" or not 1 <= strength <= levels):
        raise InvalidInput(f"{where}: strength {strength!r} is off the project's scale of {levels}")
