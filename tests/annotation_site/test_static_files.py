"""Source maps stay out of production: the frontend's build writes none, so ``collectstatic``
(``STATIC_ROOT``, all that whitenoise serves with DEBUG off) has none of ours to serve."""

from pathlib import Path

import pytest


def test_the_frontend_build_carries_no_source_map(settings):
    dist = Path(settings.FRONTEND_DIST)
    scripts = sorted(dist.rglob("*.js"))
    if not scripts:
        pytest.skip(f"the frontend is not built in {dist}: run `cd frontend && npm run build` (scripts/setup.sh does)")
    assert sorted(p.name for p in dist.rglob("*.map")) == []
    assert [p.name for p in scripts if b"sourceMappingURL" in p.read_bytes()] == []
