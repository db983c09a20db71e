"""Response positions as letters, rankings of them best first (with their ties: groups of positions
ranked equal), and the pairwise outcomes they imply; the name of the main verdict's criterion.

Plain Python with no Django imports, so annotation, import, stats, export and training code share
these one definitions (``scripts/frontend_constants.py`` writes them out for the frontend).
"""

from collections.abc import Sequence
from itertools import combinations

LETTERS = "abcdefghijklmnopqrstuvwxyz"  # response positions as shown: a comparison of K uses the first K
OVERALL = "overall"  # the criterion name of a judgment's main verdict (in imports, exports and the API)


def position_letters(k: int) -> list[str]:
    """The letters of ``k`` responses as presented: ``["a", "b", ...]``."""
    if not 1 <= k <= len(LETTERS):
        raise ValueError(f"k must be between 1 and {len(LETTERS)}, got {k}")
    return list(LETTERS[:k])


def is_full_ranking(ranking: object, k: int) -> bool:
    """True when ``ranking`` is a list naming each of the first ``k`` letters exactly once."""
    return (
        isinstance(ranking, list)
        and all(isinstance(letter, str) for letter in ranking)
        and sorted(ranking) == position_letters(k)
    )


def ranking_pairs(ranking: Sequence[str]) -> list[tuple[str, str]]:
    """Expand a ranking (best first) into its K*(K-1)/2 implied ``(winner, loser)`` pairs.

    Every earlier letter beats every later one: ``["b", "a", "c"]`` gives
    ``[("b", "a"), ("b", "c"), ("a", "c")]``. Order follows the ranking, winners first.
    """
    if len(set(ranking)) != len(ranking):
        raise ValueError(f"a ranking names each letter once, got {list(ranking)}")
    return list(combinations(ranking, 2))


def ranking_ties_error(ties: object, ranking: Sequence[str]) -> str | None:
    """Why ``ties`` is not a valid grouping of ``ranking`` into equal ranks, or None when it is.

    ``ties`` lists groups of two or more positions ranked equal, e.g. ``[["b", "a"]]`` for
    ``ranking`` ``["b", "a", "c"]``: each group names positions of the ranking, each at most once
    across all groups, and sits in it as one unbroken run (positions next to each other), in the
    ranking's order.
    """
    if not isinstance(ties, list) or not all(isinstance(group, list) for group in ties):
        return "must be a list of groups of positions, e.g. [[\"b\", \"a\"]]"
    place = {letter: i for i, letter in enumerate(ranking)}
    seen: set[str] = set()
    for group in ties:
        if len(group) < 2:
            return f"a group names two or more positions, got {group!r}"
        unknown = [letter for letter in group if not isinstance(letter, str) or letter not in place]
        if unknown:
            return f"names positions not in the ranking: {unknown!r}"
        if seen & set(group) or len(set(group)) != len(group):
            return f"names a position twice: {group!r}"
        seen |= set(group)
        start = place[group[0]]
        if [place[letter] for letter in group] != list(range(start, start + len(group))):
            return f"a group must be positions next to each other in the ranking, in its order: {group!r}"
    return None


def ranking_levels(ranking: Sequence[str], ties: Sequence[Sequence[str]] | None = None) -> list[int]:
    """Each ranked position's rank, 0 for the best; positions tied share the rank of the first of
    their group (``["b", "a", "c"]`` with ``[["b", "a"]]`` gives ``[0, 0, 2]``). ``ties`` must be
    valid (``ranking_ties_error``)."""
    levels = list(range(len(ranking)))
    place = {letter: i for i, letter in enumerate(ranking)}
    for group in ties or ():
        first = place[group[0]]
        for letter in group:
            levels[place[letter]] = first
    return levels


def ranking_outcomes(ranking: Sequence[str], ties: Sequence[Sequence[str]] | None = None) -> list[tuple[str, str, bool]]:
    """``ranking_pairs`` with, for each ``(higher, lower)`` pair, whether the two are tied (ranked
    equal: neither won)."""
    levels = dict(zip(ranking, ranking_levels(ranking, ties), strict=True))
    return [(high, low, levels[high] == levels[low]) for high, low in ranking_pairs(ranking)]


def ranking_tied_in_order(ranking: Sequence[str], ties: Sequence[Sequence[str]]) -> tuple[list[str], list[list[str]]]:
    """``(ranking, ties)`` with each tied group's positions in letter order, in the ranking too: one
    verdict, one stored form (``["b", "a", "c"]`` with ``[["b", "a"]]`` is ``["a", "b", "c"]`` with
    ``[["a", "b"]]``), so consumers comparing whole rankings see equal verdicts as equal."""
    ordered = list(ranking)
    groups = [sorted(group) for group in ties]
    for group in groups:
        start = ordered.index(min(group, key=ordered.index))
        ordered[start : start + len(group)] = group
    return ordered, groups
