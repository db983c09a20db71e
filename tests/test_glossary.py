"""docs/glossary.md's words are the only ones used for its concepts: the retired words that mean
nothing else in this code base are grepped for in code, comments, docstrings and UI strings.

Some retired words are also plain English or programming words with other meanings here
("item" of a list, an "option" of a config, to "pick", the "outcome" of an upload, a page's
"sections"); they are held by review, not by this grep. Checked here:

- task(s): the comparison. Left for Celery's tasks, the `next-task` route, `task_type`, Label
  Studio's own word in the benches that compare with it, and the annotation screen's test hook
  `data-testid="task"` (issue #19 keeps it for tests written against it).
- slot(s): a seat or a response position. Left for Python's ``slots=True`` and database
  constraint names, which a rename would have to migrate.
- vote(s): a judgment or a verdict. Left for the ``split_votes`` key of a snapshot's manifest and
  Chatbot Arena's votes (its data's own word).
- preferred, aspect(s): the verdict, a criterion.
- "AI annotator", "auto-label": a judge.

In tests, string literals other than docstrings are data (a prompt may say "task"); their names,
comments and docstrings are checked like the rest.
"""

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = ("labeling", "training", "annotation_site", "scripts", "bench", "frontend/src")
TESTS = ("tests",)
SUFFIXES = {".py", ".ts", ".tsx", ".html", ".sh"}

# word -> what may stand on the same line for the word to mean something else there
RETIRED = {
    r"tasks?": r"task_type|task type|task-type|next-task|next_task|shared_task|celery|CELERY|Celery|"
    r"broker|apply_async|autodiscover|\btasks\.|\.tasks\b|import tasks|\btasks import|queue|peft|"
    r"beat|worker|Label Studio|data-testid=\"task\"|test_id\(\"task\"\)",
    r"slots?": r"slots=True|__slots__|slot_unique_",
    r"votes?|voting": r"split_votes|[Aa]rena",
    r"preferred": r"$^",
    r"aspects?": r"$^",
    r"ai annotators?|auto-?label\w*": r"$^",
}
WORD = re.compile(r"[A-Za-z]+")


def word_parts(text: str) -> str:
    """``comparisonSlotTake`` / ``comparison_slot_take`` -> ``comparison slot take``: retired words
    inside identifiers are found like words in prose."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|_", " ", text)
    return spaced.lower()


def checked_lines(path: Path, in_tests: bool):
    """(line number, text to check, the whole line) for each line of ``path``."""
    source = path.read_text()
    lines = source.splitlines()
    if path.suffix != ".py" or not in_tests:
        yield from ((n, line, line) for n, line in enumerate(lines, 1))
        return
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstrings.update(range(value.lineno, value.end_lineno + 1))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING and token.start[0] not in docstrings:
            continue  # data, not words of ours
        if token.type in (tokenize.NAME, tokenize.COMMENT, tokenize.STRING):
            yield token.start[0], token.string, lines[token.start[0] - 1]


def files():
    for roots, in_tests in ((CODE, False), (TESTS, True)):
        for root in roots:
            for path in sorted((ROOT / root).rglob("*")):
                skipped = {"migrations", "node_modules", "dist", "__pycache__"}
                if path.suffix in SUFFIXES and path.is_file() and not skipped & set(path.parts):
                    yield path, in_tests


def retired_uses() -> list[str]:
    found = []
    this_file = Path(__file__).resolve()
    for path, in_tests in files():
        if path.resolve() == this_file:
            continue
        for number, text, line in checked_lines(path, in_tests):
            words = word_parts(text)
            for word, allowed in RETIRED.items():
                if re.search(rf"\b(?:{word})\b", words) and not re.search(allowed, line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    return sorted(set(found))


def test_retired_words_are_not_used_for_the_glossarys_concepts():
    assert retired_uses() == []


def test_the_check_finds_a_retired_word_in_an_identifier_and_in_prose():
    assert re.search(r"\bslot\b", word_parts("comparisonSlotTake"))
    assert re.search(r"\bslot\b", word_parts("comparison_slot_take"))
    assert re.search(r"\btasks?\b", word_parts("The next task is shown"))
    assert not re.search(r"\bslots?\b", word_parts("timeslot"))  # a word, not a part of one
