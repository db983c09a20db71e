"""bench/bench_export.py writes its rows with bulk SQL in the models' column order, so a new
column breaks it where no other test looks (the judgment's ranking_ties did): write a few here."""

import importlib.util
from pathlib import Path

import pytest

from labeling.models import Comparison, Judgment
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db
BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_export.py"


def test_the_bench_rows_fit_the_tables():
    spec = importlib.util.spec_from_file_location("bench_export", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    project = ProjectFactory()
    users = [UserFactory().pk for _ in range(3)]
    bench._write_data(project.pk, users, comparisons=4, overlap=2)
    assert Comparison.objects.filter(project=project).count() == 4
    judgments = Judgment.objects.filter(project=project)
    assert judgments.count() == 8 and not judgments.exclude(ranking_ties=None).exists()
