"""What the review tests do through the API: judge the next comparison, review a judgment."""

import uuid


def judged(api, user, project, winner="a", strength=1) -> dict:
    """``user`` takes their next comparison and judges it; the judgment as the API answered."""
    comparison = api(user).get(f"/api/projects/{project.pk}/next-task/").json()
    body = {"comparison": comparison["id"], "winner": winner, "strength": strength, "time_spent_ms": 4200,
            "rationale": "A is right.", "client_key": uuid.uuid4().hex}
    response = api(user).post("/api/judgments/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def review(api, user, judgment_id, decision, note=""):
    return api(user).post(f"/api/judgments/{judgment_id}/review/", {"review": decision, "note": note}, format="json")
