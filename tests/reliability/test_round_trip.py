"""Export, then import what was exported: nothing is lost.

``tests/labeling/exports/test_exports.py`` round-trips fixed data through ``trl``. Here the same holds for
generated data with hostile text (markup, scripts, formulas, newlines, CRLF, emoji, right-to-left
marks) through ``trl`` conversational, through ``hh-rlhf`` and its labels, and every judgment's
details come back out of a ``raw`` export in JSONL, CSV and Parquet.

What a format cannot carry is left out of its examples on purpose, and listed in
``docs/reliability.md``: ``hh-rlhf`` strips whitespace around turns, folds a system message into
the first Human turn, and cannot tell a "\\n\\nHuman:" inside a text from a turn marker.
"""

import csv
import io
import json
import uuid

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.judgments import judgment_create
from labeling.exports.options import ExportFilters, ExportOptions
from labeling.exports.records import HUMAN
from labeling.exports.services import export_rows, export_stream
from labeling.imports.services import import_file
from labeling.models import Flag, Judgment
from tests.factories import ProjectFactory, UserFactory, add_member, make_comparison, new_client_key

pytestmark = pytest.mark.django_db

HOSTILE = [
    "<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "**bold** _it_ `code`", "```python\nprint(1)\n```",
    "=HYPERLINK(\"http://evil.example\")", "+1", "@SUM(A1)", "line one\nline two", "crlf\r\nline", "tab\tsep",
    "emoji 🎉👍🏽", "rtl \u202eevil\u202c", "quote \" and \\ backslash", "ünïcödé ✓ 中文 العربية", "a" * 2000,
]
PLAIN = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30)
TEXT = st.one_of(st.sampled_from(HOSTILE), PLAIN)
EXAMPLES = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def export(project, fmt, **options) -> list[dict]:
    return [row for _, row in export_rows(project=project, options=ExportOptions(fmt, **options), filters=ExportFilters())]


def import_rows(rows: list[dict], fmt: str):
    project = ProjectFactory(slug=f"rt-{uuid.uuid4().hex[:12]}")
    import_file(project=project, lines=[json.dumps(row) + "\n" for row in rows], format=fmt, with_labels=True)
    return project


@st.composite
def conversations(draw, *, system: bool, clean):
    """A prompt (alternating turns, the last the user's) and two different replies; ``clean`` shapes text."""
    turns = draw(st.integers(1, 3)) * 2 - 1
    messages = [{"role": "system", "content": clean(draw(TEXT))}] if system and draw(st.booleans()) else []
    messages += [{"role": "user" if i % 2 == 0 else "assistant", "content": clean(draw(TEXT))} for i in range(turns)]
    chosen, rejected = clean(draw(TEXT)), clean(draw(TEXT))
    return messages, chosen, rejected


def unique(records):
    """Distinct prompts (a re-used prompt and pair would be de-duplicated on import) and replies."""
    out = []
    for i, (messages, chosen, rejected) in enumerate(records):
        messages = [*messages[:-1], {**messages[-1], "content": f"{messages[-1]['content']} #{i}"}]
        out.append((messages, f"{chosen} (chosen)", f"{rejected} (rejected)"))
    return out


def trl_rows(records) -> list[dict]:
    """trl rows as the export writes them: one imported label per pair, so full confidence."""
    return [{"prompt": m, "chosen": [{"role": "assistant", "content": c}], "rejected": [{"role": "assistant", "content": r}],
             "chosen_model": "model-α", "rejected_model": "=model-β", "label_confidence": 1.0} for m, c, r in records]


@given(st.lists(conversations(system=True, clean=lambda t: t), min_size=1, max_size=5))
@EXAMPLES
def test_trl_conversational_round_trip_keeps_every_message_exactly(records):
    source = trl_rows(unique(records))
    first = export(import_rows(source, "trl"), "trl", conversational=True)
    assert first == source
    assert export(import_rows(first, "trl"), "trl", conversational=True) == first


def hh_clean(text: str) -> str:
    """What an HH-RLHF transcript can carry: no turn markers inside a text, no whitespace around it."""
    text = text.replace("Human:", "Human -").replace("Assistant:", "Assistant -").strip()
    return text or "empty"


@given(st.lists(conversations(system=False, clean=hh_clean), min_size=1, max_size=5))
@EXAMPLES
def test_hh_rlhf_round_trip_keeps_conversations_and_labels(records):
    original = import_rows(trl_rows(unique(records)), "trl")
    first = export(original, "hh-rlhf")
    assert all(row["chosen"].startswith(HUMAN) for row in first)
    copy = import_rows(first, "hh-rlhf")
    assert export(copy, "hh-rlhf") == first
    # The transcripts carried the roles and the label: the conversational view is the same too.
    assert export(copy, "trl", conversational=True) == export(original, "trl", conversational=True)
    assert Judgment.objects.filter(project=copy).count() == Judgment.objects.filter(project=original).count() == len(records)


# --- raw: every judgment, with all its details -----------------------------------------------------


@pytest.fixture
def judged(project, annotator, second_annotator):
    """A pairwise project with criteria and a strength scale, overlap 2: ties, strengths, rationales
    with hostile text, flags, a gold item; each judgment made through the services."""
    project.overlap, project.criteria = 2, ["helpful", "harmless"]
    project.save(update_fields=["overlap", "criteria"])
    for i, text in enumerate(HOSTILE[:6]):
        make_comparison(project, models_=(f"m-{i % 2}", "=evil"), texts=[text, f"other {i}"])
    make_comparison(project, is_gold=True, gold_answer={"winner": "a"})
    made = []
    for n, user in enumerate([annotator, second_annotator]):
        for i, _ in enumerate(HOSTILE[:6]):
            leased = comparison_lease_next(project=project, annotator=user)
            tie = (i + n) % 3 == 0
            winner, strength = ("tie", None) if tie else ("ab"[i % 2], 1 + i % 3)
            criteria = {c: {"winner": "tie"} if tie else {"winner": "b", "strength": 1} for c in project.criteria}
            judgment, _ = judgment_create(
                annotator=user, comparison_id=leased.pk, client_key=new_client_key(), winner=winner, strength=strength,
                criteria=criteria, rationale=HOSTILE[(i + n) % len(HOSTILE)], time_spent_ms=1000 * i + n,
            )
            made.append(judgment)
            if i == 2:
                Flag.objects.create(project=project, comparison=leased, annotator=user, reason="unsafe", note="x")
    return made


def raw_rows(project, file_type: str) -> list[dict]:
    data = b"".join(export_stream(project=project, options=ExportOptions("raw"), filters=ExportFilters(), file_type=file_type))
    if file_type == "jsonl":
        return [json.loads(line) for line in data.decode().splitlines()]
    if file_type == "parquet":
        return pq.read_table(io.BytesIO(data)).to_pylist()
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    for row in rows:  # undo the CSV encoding: JSON cells, the formula guard, numbers and booleans
        for key, value in row.items():
            value = value[1:] if value[:2] in {"'=", "'+", "'-", "'@", "'\t", "'\r"} else value
            row[key] = json.loads(value) if key in ("models", "ranking", "flags") and value else value
        for key in ("judgment_id", "comparison_id", "prompt_id", "strength", "scale_size", "time_spent_ms"):
            row[key] = int(row[key]) if row[key] != "" else None
        row["is_gold"] = row["is_gold"] == "true"
        row["ranking"] = row["ranking"] or None
    return rows


@pytest.mark.parametrize("file_type", ["jsonl", "csv", "parquet"])
def test_raw_export_carries_every_judgment_with_all_its_details(judged, project, file_type):
    rows = {row["judgment_id"]: row for row in raw_rows(project, file_type)}
    stored = Judgment.objects.filter(project=project).select_related("comparison")
    assert set(rows) == {j.pk for j in stored} and len(rows) == len(judged)
    flagged = set(Flag.objects.values_list("comparison_id", "annotator_id"))
    for judgment in stored:
        row = rows[judgment.pk]
        assert (row["comparison_id"], row["prompt_id"]) == (judgment.comparison_id, judgment.comparison.prompt_id)
        assert (row["winner"], row["strength"], row["ranking"]) == (judgment.winner, judgment.strength, judgment.ranking)
        assert json.loads(row["criteria"]) == judgment.criteria
        assert (row["rationale"], row["time_spent_ms"]) == (judgment.rationale, judgment.time_spent_ms)
        assert row["flags"] == (["unsafe"] if (judgment.comparison_id, judgment.annotator_id) in flagged else [])
        assert row["models"] == [s.response.model_name for s in judgment.comparison.positions.select_related("response")]
        assert row["is_gold"] is False and row["kind"] == "pairwise"
        assert row["annotator"] and str(judgment.annotator_id) != row["annotator"]  # a pseudonym, not the id
    assert len({row["annotator"] for row in rows.values()}) == 2


def test_raw_export_of_a_ranking_project_keeps_every_ranking(db):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3, overlap=2)
    users = [UserFactory(username=f"ranker-{n}") for n in range(2)]
    for user in users:
        add_member(project, user)
    for i in range(3):
        make_comparison(project, models_=("x", "y", "z"), texts=[f"{i} one", f"{i} two", f"{i} three"])
    for n, user in enumerate(users):
        for _ in range(3):
            leased = comparison_lease_next(project=project, annotator=user)
            judgment_create(annotator=user, comparison_id=leased.pk, client_key=new_client_key(), ranking=list(["cab", "bca"][n]))
    rows = raw_rows(project, "jsonl")
    assert sorted((r["judgment_id"], tuple(r["ranking"])) for r in rows) == sorted(
        (j.pk, tuple(j.ranking)) for j in Judgment.objects.filter(project=project)
    )
