"""The PandaLM test set (999 items, three people's labels) imported as it is and judged again by
three annotators working at the same time through the API, on PostgreSQL served the README's
way (scripts/serve.sh): the
agreement and ratings the app reports equal an independent computation on the same labels."""

import json
import os
import threading
import uuid
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from django.db import connection

from tests.annotation_site.test_serving import served
from tests.labeling.stats.test_ratings import pandalm_candidates as candidates_line
from tests.labeling.stats.test_ratings import sklearn_ratings
from tests.reliability.servers import call, manage, private_postgres

PANDALM = Path(__file__).resolve().parents[3] / "shared" / "data" / "pandalm_testset_3annotators.jsonl"
RATERS = ("annotator1", "annotator2", "annotator3")
OUTCOME = {1: 1.0, 2: 0.0, 0: 0.5}  # response1 better, response2 better, similar quality


SETUP = """
import json
from rest_framework.authtoken.models import Token
from labeling.projects.services import project_create, membership_set
from tests.factories import UserFactory
project = project_create(slug="pandalm", overlap=3, strength_scale=[])
tokens = []
for name in {raters!r}:
    user = UserFactory(username=name)
    membership_set(project=project, username=name, role="annotator")
    tokens.append(Token.objects.create(user=user).key)
print(json.dumps(tokens))
"""

# each comparison as stored: its prompt and, per response, the model, the text and its letter
COMPARISONS = """
import json
from labeling.models import Comparison
out = {}
for c in Comparison.objects.filter(project__slug="pandalm").select_related("prompt").prefetch_related("positions__response"):
    out[c.pk] = {"project": c.project_id, "prompt": c.prompt.messages[-1]["content"],
                 "responses": [[s.response.model_name, s.response.text, "abcdefgh"[s.position]] for s in c.positions.all()]}
print(json.dumps(out))
"""


def match_items(comparisons: dict, rows: list[dict]) -> tuple[dict, dict, int]:
    """Comparison id -> its PandaLM row and -> {model: letter}; and the project id. An item is
    found by its prompt and its two (model, text) responses: PandaLM asks each instruction of
    several model pairs, so the prompt alone does not say which item a comparison is."""
    def key(prompt, responses):
        return prompt, frozenset((model, text) for model, text in responses)

    by_key = {}
    for row in rows:
        line = candidates_line(row)
        by_key[key(line["prompt"], [(r["model"], r["text"]) for r in line["responses"]])] = row
    items, letters = {}, {}
    for cid, comparison in comparisons.items():
        items[int(cid)] = by_key[key(comparison["prompt"], [(m, t) for m, t, _ in comparison["responses"]])]
        letters[int(cid)] = {model: letter for model, _, letter in comparison["responses"]}
    return items, letters, next(iter(comparisons.values()))["project"]


class Rater(threading.Thread):
    """One PandaLM annotator judging whatever the server hands out, with their own label."""

    def __init__(self, port: int, token: str, rater: str, project: int, items: dict, letters: dict):
        super().__init__(daemon=True)
        self.port, self.token, self.rater, self.project = port, token, rater, project
        self.items, self.letters = items, letters
        self.answered, self.errors = 0, []

    def run(self):
        while True:
            status, shown = call(self.port, "GET", f"/api/projects/{self.project}/next-task/", self.token)
            if status == 204:
                return
            if status != 200:
                self.errors.append(("next-task", status, shown))
                return
            row = self.items[shown["id"]]
            label = row[self.rater]
            model_1, model_2 = row["cmp_key"].split("_", 1)
            letters = self.letters[shown["id"]]
            winner = "tie" if label == 0 else letters[model_1 if label == 1 else model_2]
            body = {"comparison": shown["id"], "winner": winner, "client_key": uuid.uuid4().hex, "time_spent_ms": 1000}
            status, out = call(self.port, "POST", "/api/judgments/", self.token, body)
            if status != 201:
                self.errors.append(("submit", status, out))
                return
            self.answered += 1


def test_pandalm_replayed_by_three_concurrent_annotators_matches_independent_figures(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("runs once, in the PostgreSQL pass (it starts a PostgreSQL of its own either way)")
    if not PANDALM.exists():
        pytest.skip("../shared/data is not beside this checkout")
    rows = [json.loads(line) for line in PANDALM.open()]
    data = tmp_path / "pandalm.jsonl"
    data.write_text("".join(json.dumps(candidates_line(row)) + "\n" for row in rows))
    with private_postgres() as postgres:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL", "SQLITE_PATH")}
        env.update(DATABASE_URL=postgres.url, VAR_DIR=str(tmp_path), LOG_LEVEL="ERROR")
        manage(env, "migrate", "-v0")
        tokens = json.loads(manage(env, "shell", "-c", SETUP.format(raters=RATERS)).strip().splitlines()[-1])
        manage(env, "import_data", str(data), "--project", "pandalm", "--format", "candidates")
        comparisons = json.loads(manage(env, "shell", "-c", COMPARISONS).strip().splitlines()[-1])
        items, letters, project = match_items(comparisons, rows)
        with served(env) as port:  # the README's server: scripts/serve.sh
            raters = [Rater(port, token, name, project, items, letters) for token, name in zip(tokens, RATERS, strict=True)]
            for rater in raters:
                rater.start()
            for rater in raters:
                rater.join(timeout=900)
        payload = json.loads(manage(env, "project_stats", "--project", "pandalm", "--json"))

    assert [r.errors for r in raters] == [[], [], []]
    assert len(items) == len(rows)  # the file imported as it is: every item a comparison
    assert [r.answered for r in raters] == [len(rows)] * 3  # every item judged once by each, no error
    # the app codes a verdict by the position shown (A wins +1, B wins -1, tie 0), so the
    # independent alpha does too: response1 shown as A keeps its sign
    shown_first = [letters[cid][row["cmp_key"].split("_", 1)[0]] == "a" for cid, row in items.items()]
    expected_alpha = krippendorff.alpha(
        np.array([[{1: 1.0, 2: -1.0, 0: 0.0}[row[r]] * (1 if first else -1)
                   for row, first in zip(items.values(), shown_first, strict=True)] for r in RATERS]),
        level_of_measurement="nominal",
    )
    assert payload["agreement"]["krippendorff_alpha"] == pytest.approx(expected_alpha, abs=1e-6)
    model_a = np.array([row["cmp_key"].split("_", 1)[0] for row in rows for _ in RATERS])
    model_b = np.array([row["cmp_key"].split("_", 1)[1] for row in rows for _ in RATERS])
    outcome = np.array([OUTCOME[row[r]] for row in rows for r in RATERS])
    models, ratings = sklearn_ratings(model_a, model_b, outcome)
    expected = dict(zip(models.tolist(), ratings.tolist(), strict=True))
    reported = {row["model"]: row["rating"] for row in payload["ratings"]["bradley_terry"]}
    assert reported.keys() == expected.keys()
    for model, rating in expected.items():
        assert reported[model] == pytest.approx(rating, abs=0.01), model  # within rounding
