"""Annotators for load under faults: each retries a failed request with the same client_key until
the server answers, as the UI's retry queue does; and the checks run afterwards (in SQL, so they
work against any PostgreSQL, whatever Django's connection points at)."""

import json
import random
import threading
import time
import uuid
from collections import Counter

from tests.reliability.servers import call, manage


class RetryingAnnotator(threading.Thread):
    """Loops next-task and submit as the UI does; any failure (5xx, connection error) is retried
    with the same client_key until the server gives an answer, a 201/200 or a 409."""

    def __init__(self, port: int, token: str, project_id: int, stop: threading.Event, seed: int):
        super().__init__(daemon=True)
        self.port, self.token, self.project_id, self.stop = port, token, project_id, stop
        self.rng = random.Random(seed)
        self.acknowledged: dict[str, int] = {}  # client_key -> judgment id
        self.refused: list[str] = []
        self.failures: Counter = Counter()

    def run(self):
        while not self.stop.is_set():
            status, shown = self._until_answered("GET", f"/api/projects/{self.project_id}/next-task/")
            if status != 200:
                return  # 204: nothing left
            body = {"comparison": shown["id"], "winner": self.rng.choice("ab"), "strength": 2,
                    "client_key": uuid.uuid4().hex}
            status, judgment = self._until_answered("POST", "/api/judgments/", body)
            if status in (200, 201):
                self.acknowledged[body["client_key"]] = judgment["id"]
            else:
                self.refused.append(f"{status}: {judgment}")

    def _until_answered(self, method, path, body=None):
        for _ in range(600):
            try:
                status, data = call(self.port, method, path, self.token, body, timeout=20)
            except OSError as exc:
                self.failures[type(exc).__name__] += 1
            else:
                if status < 500:
                    return status, data
                self.failures[status] += 1
            time.sleep(0.1)
        raise AssertionError(f"{method} {path} never answered")


def populate(env: dict, *, clients: int, comparisons: int, overlap: int = 2) -> tuple[int, list[str]]:
    """A project ``fault`` with ``clients`` annotators (their tokens returned) and pairwise comparisons."""
    script = f"""
import json
from rest_framework.authtoken.models import Token
from labeling.projects.services import project_create, membership_set
from tests.factories import UserFactory, make_comparison
project = project_create(slug="fault", overlap={overlap})
tokens = []
for n in range({clients}):
    user = UserFactory(username=f"fault-{{n}}")
    membership_set(project=project, username=user.username, role="annotator")
    tokens.append(Token.objects.create(user=user).key)
for _ in range({comparisons}):
    make_comparison(project)
print(json.dumps({{"project": project.pk, "tokens": tokens}}))
"""
    data = json.loads(manage(env, "shell", "-c", script).strip().splitlines()[-1])
    return data["project"], data["tokens"]


def ledger_errors_sql(query, overlap: int = 2) -> list[tuple]:
    """Comparisons whose counters disagree with their lease and judgment rows (``query(sql)`` runs SQL)."""
    return query(f"""
        SELECT c.id, c.holders, c.judgment_count, c.is_open,
               (SELECT count(*) FROM labeling_lease l WHERE l.comparison_id = c.id AND l.state IN ('active', 'judged')),
               (SELECT count(*) FROM labeling_judgment j WHERE j.comparison_id = c.id),
               (SELECT count(*) FROM labeling_lease l WHERE l.comparison_id = c.id AND l.state = 'judged')
        FROM labeling_comparison c
        WHERE c.holders <> (SELECT count(*) FROM labeling_lease l WHERE l.comparison_id = c.id AND l.state IN ('active', 'judged'))
           OR c.judgment_count <> (SELECT count(*) FROM labeling_judgment j WHERE j.comparison_id = c.id)
           OR c.judgment_count <> (SELECT count(*) FROM labeling_lease l WHERE l.comparison_id = c.id AND l.state = 'judged')
           OR (NOT c.is_gold AND c.is_open <> (c.holders < {overlap}))
    """)
