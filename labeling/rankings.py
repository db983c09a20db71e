"""Response positions as letters, rankings of them best first, and the pairwise outcomes they imply;
the name of the main verdict's criterion.

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
