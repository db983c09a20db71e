"""``?count=true`` answers how many rows the export writes, without writing it: the same number as
the lines of the file itself, for each format, file type and filter."""

import csv
import io

import pytest

from tests.factories import make_comparison, new_client_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def judged(project, annotator, second_annotator):
    """Six comparisons: four both annotators call A, two they split (dropped by the majority)."""
    from labeling.models import Judgment

    for i in range(6):
        comparison = make_comparison(project, texts=[f"{i} one", f"{i} two"])
        for user, winner in [(annotator, "a"), (second_annotator, "a" if i < 4 else "b")]:
            Judgment.objects.create(project=project, comparison=comparison, annotator=user, winner=winner,
                                    client_key=new_client_key())
    return project


def file_rows(response, file_type: str) -> int:
    body = b"".join(response.streaming_content).decode()
    if file_type == "csv":
        return len(list(csv.DictReader(io.StringIO(body))))
    return len([line for line in body.splitlines() if line.strip()])


@pytest.mark.parametrize("query", [
    "format=trl", "format=raw", "format=kto", "format=raw&file=csv", "format=trl&min_judgments=2&exclude_ties=true",
    "format=trl&aggregation=mean-strength",
])
def test_the_count_is_the_number_of_rows_the_file_holds(api, admin_user, judged, query):
    url = f"/api/projects/{judged.pk}/export/?{query}"
    counted = api(admin_user).get(url + "&count=true")
    assert counted.status_code == 200 and counted["Content-Type"].startswith("application/json")
    body = counted.json()
    written = file_rows(api(admin_user).get(url), "csv" if "file=csv" in query else "jsonl")
    assert body["rows"] == written and written > 0
    assert set(body) == {"rows", "comparisons", "filtered_out"}


def test_the_count_drops_split_verdicts_as_the_file_does(api, admin_user, judged):
    body = api(admin_user).get(f"/api/projects/{judged.pk}/export/?format=trl&count=true").json()
    assert body == {"rows": 4, "comparisons": 6, "filtered_out": 0}


def test_counting_is_for_admins_and_checks_its_options(api, annotator, admin_user, judged):
    url = f"/api/projects/{judged.pk}/export/?format=trl&count=true"
    assert api(annotator).get(url).status_code == 403
    bad = api(admin_user).get(f"/api/projects/{judged.pk}/export/?format=trl&count=maybe")
    assert bad.status_code == 400 and "count" in bad.json()
