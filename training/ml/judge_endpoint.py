"""An OpenAI-compatible endpoint as judge: the causal-LM judge's questions (judge_lm.py), asked
over HTTP at the one base URL a site administrator configured (JUDGE_ENDPOINT_URL; the worker
passes it in, never from a user or a project). Each question is one chat completion of a single
token with its top log-probs; the answers' probabilities are read from those, as from a local
model's next-token distribution, and renormalised among the answers. An endpoint that returns no
log-probs is read from the token it wrote (probability 1); one that writes no answer at all
counts as undecided (equal probabilities), and is logged.

The API key, if the endpoint wants one, is read from the process's environment
(JUDGE_ENDPOINT_KEY) and never written into the job.
"""

import json
import logging
import math
import os
import urllib.request
from urllib.parse import urlsplit

from training.ml.judge import Rubric
from training.ml.judge_config import JudgeConfig
from training.ml.judge_lm import ANSWERS, AskedJudge

log = logging.getLogger(__name__)
KEY_VARIABLE = "JUDGE_ENDPOINT_KEY"
TOP_LOGPROBS = 5
TIMEOUT_SECONDS = 120


def completions_url(base_url: str) -> str:
    """``{base}/chat/completions`` of an http(s) base URL (as OpenAI's clients build it)."""
    if urlsplit(base_url).scheme not in ("http", "https"):
        raise ValueError(f"the judge endpoint's base URL must be http(s), got {base_url!r}")
    return base_url.rstrip("/") + "/chat/completions"


class EndpointJudge(AskedJudge):
    """Asks the configured endpoint's model ``config.endpoint_model``."""

    def __init__(self, config: JudgeConfig, base_url: str, rubric: Rubric):
        super().__init__(config, rubric)
        self.url = completions_url(base_url)
        self.names = ANSWERS if rubric.allow_ties else ANSWERS[:2]

    def answer_probabilities(self, questions: list[str]) -> list[dict[str, float]]:
        return [self.answer(self.ask(text)) for text in questions]

    def ask(self, text: str) -> dict:
        body = {
            "model": self.config.endpoint_model,
            "messages": [{"role": "user", "content": text}],
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": TOP_LOGPROBS,
        }
        headers = {"Content-Type": "application/json"}
        if os.environ.get(KEY_VARIABLE):
            headers["Authorization"] = f"Bearer {os.environ[KEY_VARIABLE]}"
        request = urllib.request.Request(
            self.url, json.dumps(body).encode(), headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - the admin's URL
            return json.loads(response.read())

    def answer(self, completion: dict) -> dict[str, float]:
        """The answers' probabilities in one completion (see the module's docstring)."""
        choice = completion["choices"][0]
        tokens = ((choice.get("logprobs") or {}).get("content") or [{}])[0].get(
            "top_logprobs"
        ) or []
        mass = dict.fromkeys(self.names, 0.0)
        for token in tokens:
            name = self.answer_name(token.get("token", ""))
            if name is not None:
                mass[name] += math.exp(token["logprob"])
        if not any(mass.values()):
            name = self.answer_name((choice.get("message") or {}).get("content") or "")
            if name is None:
                log.warning("the judge endpoint gave no answer (%r): counted as undecided", choice)
                return dict.fromkeys(self.names, 1 / len(self.names))
            mass[name] = 1.0
        total = sum(mass.values())
        return {name: p / total for name, p in mass.items()}

    def answer_name(self, token: str) -> str | None:
        word = token.strip().rstrip(".").lower()
        return next((name for name in self.names if name.lower() == word), None)
