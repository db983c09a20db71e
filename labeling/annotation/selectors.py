"""Reads for the annotation screen: the comparison as served, judgments, progress and flags."""

import json

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from labeling.annotation.shapes import ComparisonOut
from labeling.hot_sql import sql_first, sql_rows, sql_text
from labeling.models import (
    Comparison,
    ComparisonResponse,
    Flag,
    Judge,
    Judgment,
    Lease,
    LeaseState,
    Project,
    Prompt,
    Response,
    ReviewState,
)
from labeling.rankings import LETTERS


def comparison_payload(*, comparison: Comparison, lease_expires_at) -> ComparisonOut:
    """What the annotation screen shows: the prompt and the responses by letter, blind.

    Model names never leave the server here. One plain-SQL query (it runs on every
    next-task; ``labeling.hot_sql`` says why) reads the prompt with the responses.
    """
    rows = sql_rows(_SHOWN_TEXTS, [comparison.pk])
    return {
        "id": comparison.pk,
        "project": comparison.project_id,
        "prompt": {"id": comparison.prompt_id, "messages": _json(rows[0][2]) if rows else []},
        "responses": [{"letter": LETTERS[position], "text": text} for position, text, _ in rows],
        "lease_expires_at": lease_expires_at,
    }


_SHOWN_TEXTS = sql_text("""
    SELECT cr.position, r.text, p.messages
    FROM {ComparisonResponse} cr
    JOIN {Response} r ON r.id = cr.{ComparisonResponse.response}
    JOIN {Comparison} c ON c.id = cr.{ComparisonResponse.comparison}
    JOIN {Prompt} p ON p.id = c.{Comparison.prompt}
    WHERE cr.{ComparisonResponse.comparison} = %s ORDER BY cr.position
""", ComparisonResponse, Response, Comparison, Prompt)


def _json(value):
    """A JSON column read by plain SQL: text on both databases (Django's psycopg2 setup leaves jsonb unparsed)."""
    return json.loads(value) if isinstance(value, str) else value


def judgment_list_for(*, project: Project, annotator=None, fastest: bool = False) -> QuerySet[Judgment]:
    """The project's judgments, newest first (``fastest``: the timed ones, quickest first); only
    ``annotator``'s when given (access is the caller's). Each is annotated ``by_judge``: a judge's
    (a model labelling comparisons), not a person's."""
    judgments = Judgment.objects.filter(project=project).select_related("annotator")
    judgments = judgments.annotate(by_judge=Exists(Judge.objects.filter(user=OuterRef("annotator"))))
    if annotator is not None:
        judgments = judgments.filter(annotator=annotator)
    if fastest:
        return judgments.filter(time_spent_ms__gt=0).order_by("time_spent_ms", "id")
    return judgments.order_by("-created_at", "-id")


def annotator_progress(*, project: Project, annotator, remaining_cap: int = 1000, zone=None) -> dict:
    """Judgments done today and in all (those rejected in review not counted: they count nowhere),
    and how many comparisons are still open to them; ``zone`` (a tzinfo) says where "today"
    begins, the server's time zone by default.

    ``remaining`` counts the regular comparisons they could still be served (gold is not
    counted) plus those they hold a lease on now. The first part stops at ``remaining_cap``,
    with ``remaining_capped`` true: an exact count would scan every open comparison, while
    counting up to the cap walks at most that many rows of the serving index. So it is exact
    near the end of the queue, where the number matters, and a lower bound before: then
    ``remaining`` is the cap itself, whatever they hold ("1000+", not 1000 plus their leases, a
    figure that moved with every prefetch while meaning nothing more).
    """
    # Counted on their judged leases (index lease_by_annotator): the cost follows their own
    # work, where counting judgments could walk the whole project's judgment_by_project_time.
    mine = Lease.objects.filter(annotator=annotator, project=project, state=LeaseState.JUDGED)
    # "today" from the annotator's midnight where their zone is known (the server's is UTC)
    start_of_day = timezone.localtime(timezone=zone).replace(hour=0, minute=0, second=0, microsecond=0)
    had = Lease.objects.filter(comparison=OuterRef("pk"), annotator=annotator).exclude(state=LeaseState.EXPIRED)
    # is_gold__in: see assignment._candidates (lets SQLite use comparison_serving_order)
    open_to_them = Comparison.objects.filter(project=project, is_gold__in=[False], is_open=True).filter(~Exists(had))
    leased = Lease.objects.filter(project=project, annotator=annotator, state=LeaseState.ACTIVE, comparison__is_gold=False)
    unseen, held = counted_together(open_to_them.values("pk")[:remaining_cap], leased.values("pk"))
    capped = unseen >= remaining_cap
    # A rejected judgment keeps its judged lease (so it is not served again): take it off here.
    rejected = Judgment.objects.filter(project=project, annotator=annotator, review=ReviewState.REJECTED)
    return {
        "done_today": mine.filter(updated_at__gte=start_of_day).count()
        - rejected.filter(created_at__gte=start_of_day).count(),
        "done_total": mine.count() - rejected.count(),
        "remaining": remaining_cap if capped else unseen + held,
        "remaining_capped": capped,
    }


def counted_together(*querysets: QuerySet) -> list[int]:
    """The rows of each queryset, counted in one statement, hence in one snapshot. Counted one
    after the other, the screen's prefetch could lease a comparison in between: counted as
    unseen, then again as held, "left" read one too many until the next refresh."""
    parts, params = [], []
    for n, queryset in enumerate(querysets):
        sql, values = queryset.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{n})")
        params.extend(values)
    return list(sql_first("SELECT " + ", ".join(parts), params))


def flag_list(*, project: Project) -> QuerySet[Flag]:
    return Flag.objects.filter(project=project).select_related("annotator").order_by("-created_at", "-id")
