"""Bad input: oversized bodies, hostile file names, spreadsheet formulas, password guessing, cross-site
writes, ORM lookups smuggled into query strings, pickled weights and server-side fetches.

No default secret: ``tests/test_settings.py`` shows production refuses to start without
SECRET_KEY; here only that no key is committed.
"""

import ast
import csv
import io
import re
import subprocess
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from rest_framework.parsers import MultiPartParser
from rest_framework.test import APIClient

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.judgments import judgment_create
from labeling.models import DataImport, Judgment
from tests.factories import ProjectFactory, add_member, make_comparison, new_client_key
from tests.security.test_authorization_matrix import MATRIX, ROLES

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = [ROOT / "labeling", ROOT / "training", ROOT / "annotation_site"]
HH_LINE = b'{"chosen": "\\n\\nHuman: Hi\\n\\nAssistant: Hello", "rejected": "\\n\\nHuman: Hi\\n\\nAssistant: Go away"}\n'


def python_files(*dirs: Path):
    for directory in dirs:
        for path in sorted(directory.rglob("*.py")) if directory.is_dir() else [directory]:
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


# --- oversized bodies ---------------------------------------------------------------------------


def test_upload_over_the_limit_is_refused_with_413_before_it_is_read(api, world, settings, monkeypatch):
    settings.MAX_UPLOAD_MB = 1
    monkeypatch.setattr(MultiPartParser, "parse", lambda *a, **k: pytest.fail("the body was parsed"))
    big = SimpleUploadedFile("big.jsonl", HH_LINE * (1024 * 1024 // len(HH_LINE) + 100))
    response = api(world.users["admin"]).post(
        f"/api/projects/{world.project.pk}/imports/", {"file": big, "format": "hh-rlhf"}, format="multipart"
    )
    assert response.status_code == 413 and "1 MB" in response.json()["detail"]
    assert not DataImport.objects.exists()


def test_json_body_over_the_memory_limit_is_a_413_not_a_bare_400(api, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = {"comparison": world.own("annotator").to_judge.pk, "winner": "a", "strength": 2,
            "client_key": new_client_key(), "rationale": "x" * 8192}
    response = api(world.users["annotator"]).post("/api/judgments/", body, format="json")
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert not Judgment.objects.filter(client_key=body["client_key"]).exists()


# --- file names ----------------------------------------------------------------------------------

TRAVERSALS = ["../../{name}", "../../../../../../tmp/{name}", "/tmp/{name}", "..\\..\\{name}", "a/../../{name}",
              "..%2F..%2F{name}", "&#46;&#46;/&#46;&#46;/{name}"]


@pytest.mark.parametrize("pattern", TRAVERSALS)
def test_upload_file_names_with_path_traversal_never_reach_the_filesystem(api, world, settings, tmp_path, pattern):
    uploads = tmp_path / "spool" / "uploads"
    uploads.mkdir(parents=True)
    settings.FILE_UPLOAD_TEMP_DIR = str(uploads)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload goes through a file on disk
    name = f"evil-{uuid.uuid4().hex}.jsonl"
    upload = SimpleUploadedFile(pattern.format(name=name), HH_LINE)
    response = api(world.users["admin"]).post(
        f"/api/projects/{world.project.pk}/imports/", {"file": upload, "format": "hh-rlhf"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    stored = DataImport.objects.get().file_name
    assert "/" not in stored and "\\" not in stored and stored not in {".", ".."}, stored
    bases = [uploads, Path(settings.ARTIFACT_DIR), Path(settings.VAR_DIR), Path.cwd(), Path("/tmp")]
    escaped = [base / pattern.format(name=name) for base in bases] + [p / name for p in uploads.parents]
    assert not [str(p) for p in escaped if p.exists()]
    assert not list(tmp_path.rglob(name)) and not list(Path(settings.VAR_DIR).rglob(name))


# --- CSV exports ----------------------------------------------------------------------------------

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://evil.example","x")',
            "=cmd|' /C calc'!A0"]


def test_every_cell_of_a_csv_export_is_inert_in_a_spreadsheet(api, project, annotator, admin_user):
    project.criteria = ["helpful"]
    project.save(update_fields=["criteria"])
    for formula in FORMULAS:
        make_comparison(project, models_=(formula, "@model"))
        leased = comparison_lease_next(project=project, annotator=annotator)
        judgment_create(annotator=annotator, comparison_id=leased.pk, client_key=new_client_key(), winner="a",
                        strength=1, rationale=formula, criteria={"helpful": {"winner": "b", "strength": 1}})
    response = api(admin_user).get(f"/api/projects/{project.pk}/export/", {"format": "raw", "file": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1 + len(FORMULAS)
    risky = [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert risky == []
    assert {row[rows[0].index("rationale")] for row in rows[1:]} == {"'" + f for f in FORMULAS}


# --- login throttling ---------------------------------------------------------------------------


def login_limit() -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])


def test_token_login_over_the_rate_is_429_even_with_the_right_password(annotator):
    client = APIClient()
    wrong = [client.post("/api/auth/token/", {"username": annotator.username, "password": f"guess-{n}"}).status_code
             for n in range(login_limit())]
    assert set(wrong) == {400}
    right = client.post("/api/auth/token/", {"username": annotator.username, "password": "correct-horse-battery"})
    assert right.status_code == 429 and int(right["Retry-After"]) > 0
    assert "token" not in right.json()


def test_a_new_x_forwarded_for_per_attempt_does_not_reset_the_count(annotator):
    client = APIClient()
    for n in range(login_limit()):
        client.post("/api/auth/token/", {"username": annotator.username, "password": "x"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    again = client.post("/api/auth/token/", {"username": annotator.username, "password": "x"}, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert again.status_code == 429


# --- CSRF ----------------------------------------------------------------------------------------

WRITES = [row for row in MATRIX if row.method != "get"]


def test_session_authenticated_writes_need_the_csrf_token(world):
    """Every write route, as the project admin logged in by session: refused without the token,
    and with it answered exactly as the authorization matrix says."""
    admin = ROLES.index("admin")
    got, expected = {}, {}
    for row in WRITES:
        for with_token in (False, True):
            with transaction.atomic():
                client = APIClient(enforce_csrf_checks=True)
                client.force_login(world.users["admin"])
                secret = "c" * 32
                client.cookies[settings.CSRF_COOKIE_NAME] = secret
                url, body, fmt = row.request(world, "admin")
                headers = {"HTTP_X_CSRFTOKEN": secret} if with_token else {}
                response = getattr(client, row.method)(url, body, format=fmt, **headers)
                key = f"{row.method.upper()} {row.route} {'with' if with_token else 'without'} token"
                got[key] = response.status_code
                expected[key] = row.expected[admin] if with_token else 403
                if not with_token:
                    assert "CSRF" in response.json()["detail"], key
                transaction.set_rollback(True)
    assert got == expected


# --- filters ------------------------------------------------------------------------------------

QUERYSET_METHODS = {"filter", "exclude", "get", "order_by", "values", "values_list", "annotate", "aggregate",
                    "get_or_create", "update_or_create", "only", "defer"}
# Every module that reads a request: each domain's ``api.py`` / ``*_api.py``, the pages and token login.
HTTP_EDGE = [
    *sorted((ROOT / "labeling").glob("*/api.py")),
    *sorted((ROOT / "labeling").glob("*/*_api.py")),
    ROOT / "annotation_site" / "pages.py",
    ROOT / "annotation_site" / "token_login.py",
    *sorted((ROOT / "training").glob("api*.py")),
]


def test_request_data_never_becomes_lookups():
    """At the HTTP edge, no QuerySet call spreads arguments built at run time (``filter(**params)``,
    ``order_by(*fields)``), and no call at all spreads the raw request (``**request.query_params``):
    requests reach the ORM only through serializer fields and named parameters."""
    assert len(HTTP_EDGE) >= 10, HTTP_EDGE  # the globs still find the edge after a move
    found = []
    for path in HTTP_EDGE:
        for file, tree in python_files(path):
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                spreads = [k.value for k in node.keywords if k.arg is None] + [a.value for a in node.args if isinstance(a, ast.Starred)]
                queryset_call = isinstance(node.func, ast.Attribute) and node.func.attr in QUERYSET_METHODS
                if (queryset_call and spreads) or any(ast.unparse(s).startswith("request.") for s in spreads):
                    found.append(f"{file.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:80]}")
    assert found == []


LOOKUPS = ["annotator__password__startswith", "comparison__annotator__password__startswith",
           "created_by__password__startswith", "project__memberships__user__password__startswith", "ordering"]


def _read(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("path", [
    "/api/projects/{p}/export/?format=raw", "/api/judgments/?project={p}&all=1", "/api/training-runs/?project={p}",
    "/api/checkpoints/?project={p}", "/api/projects/{p}/flags/", "/api/projects/{p}/snapshots/",
    "/api/projects/{p}/members/",
])
def test_orm_lookups_in_the_query_string_change_nothing(api, world, path):
    """The Label Studio leak: a filter on ``…__password__startswith`` that answers differently for
    a right and a wrong prefix is a password-hash oracle. Here both answers equal the plain one."""
    client = api(world.users["admin"])
    url = path.format(p=world.project.pk)
    plain = _read(client, url)
    hash_prefix = world.users["annotator"].password[:3]
    for lookup in LOOKUPS:
        for value in (hash_prefix, "zzz"):
            assert _read(client, f"{url}&{lookup}={value}" if "?" in url else f"{url}?{lookup}={value}") == plain


# --- model files --------------------------------------------------------------------------------

# PeftModel loads adapters only after checkpoints.from_checkpoint checked they are safetensors.
SAFE_FROM_PRETRAINED = re.compile(r"(Tokenizer|Config|GenerationConfig|PeftModel)$")


def test_model_weights_load_only_as_safetensors():
    """``from_pretrained`` of a model passes use_safetensors=True; ``torch.load`` (if ever used)
    passes weights_only=True; no pickle, joblib or dill anywhere, and no remote code."""
    problems = []
    for path, tree in python_files(ROOT / "training", ROOT / "labeling"):
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
                problems += [f"{where}:{node.lineno} imports {n}" for n in names if n.split(".")[0] in {"pickle", "joblib", "dill", "cloudpickle"}]
            if not isinstance(node, ast.Call):
                continue
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            name = ast.unparse(node.func)
            model = name.endswith(".from_pretrained") and not SAFE_FROM_PRETRAINED.search(name.rsplit(".", 1)[0])
            if model and not _is_true(keywords.get("use_safetensors")):
                problems.append(f"{where}:{node.lineno} {name} without use_safetensors=True")
            if name.endswith("torch.load") and not _is_true(keywords.get("weights_only")):
                problems.append(f"{where}:{node.lineno} torch.load without weights_only=True")
            if name.endswith(("np.load", "numpy.load")) and _is_true(keywords.get("allow_pickle")):
                problems.append(f"{where}:{node.lineno} numpy.load with allow_pickle")
            if _is_true(keywords.get("trust_remote_code")):
                problems.append(f"{where}:{node.lineno} trust_remote_code=True")
    assert problems == []


def _is_true(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


# --- server-side fetches -------------------------------------------------------------------------

NETWORK_MODULES = {"requests", "urllib", "urllib3", "httpx", "aiohttp", "http", "socket", "pycurl", "ftplib", "smtplib"}
# "path.py:module" for each deliberate use; none of them fetches anything a user names.
ALLOWED_NETWORK_IMPORTS = {
    "training/management/commands/train.py:socket",  # gethostname() for the worker name
    "training/launch.py:socket",  # binds port 0 on this machine to find a free rendezvous port
    "annotation_site/settings.py:socket",  # getfqdn(): the host other machines' parts join
    # An endpoint judge asks the one base URL a site administrator sets (JUDGE_ENDPOINT_URL), never
    # an address from a request or a config: test_an_endpoint_judge_takes_no_address_from_a_run.
    "training/ml/judge_endpoint.py:urllib.request",
    "training/ml/judge_endpoint.py:urllib.parse",
}


def test_the_server_fetches_no_user_given_url():
    """No HTTP client in the web app or the workers: imports are uploads, models are local paths
    (workers run with HF_HUB_OFFLINE=1, so a hub id is never downloaded unless an operator allows it)."""
    found = set()
    for path, tree in python_files(*SOURCE_DIRS):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found |= {f"{path.relative_to(ROOT)}:{m}" for m in modules if m.split(".")[0] in NETWORK_MODULES}
    assert found == ALLOWED_NETWORK_IMPORTS
    assert "HF_HUB_OFFLINE=1" in (ROOT / "Dockerfile").read_text()


def test_an_endpoint_judge_takes_no_address_from_a_run():
    """The judge's config has no field that could carry an address, and the runner hands the
    judging process only the site's setting."""
    from training.ml.config import ConfigError, config_from_dict

    with pytest.raises(ConfigError):
        config_from_dict("judge", {"endpoint_model": "m", "endpoint": "http://169.254.169.254/"})
    runner = (ROOT / "training" / "runner.py").read_text()
    assert '"endpoint": settings.JUDGE_ENDPOINT_URL if config.endpoint_model else None' in runner


def test_an_import_given_a_url_instead_of_a_file_fetches_nothing(api, world):
    response = api(world.users["admin"]).post(
        f"/api/projects/{world.project.pk}/imports/", {"file": "https://example.org/data.jsonl", "format": "hh-rlhf"},
        format="multipart",
    )
    assert response.status_code == 400 and "file" in response.json()


# --- secrets ------------------------------------------------------------------------------------


def test_no_secret_key_is_committed():
    listing = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listing.returncode != 0:
        pytest.skip("not a git checkout")
    tracked = listing.stdout.split()
    assert not [f for f in tracked if f.startswith("var/") or f.endswith(("secret_key", ".env"))]
    settings_source = (ROOT / "annotation_site" / "settings.py").read_text()
    assert not re.search(r"SECRET_KEY\s*=\s*['\"]", settings_source)
    assert "django-insecure" not in settings_source


# --- inputs the fuzzing found (each was a 500) --------------------------------------------------


def test_nul_characters_are_refused_before_they_reach_the_database(api, world):
    """PostgreSQL stores no NUL in text or jsonb; DRF's CharField refuses it, JSON fields did not."""
    admin = api(world.users["admin"])
    project_url = f"/api/projects/{world.project.pk}/"
    # a project with no judgments yet, whose scale may still change
    fresh = ProjectFactory(slug="no-judgments-yet")
    add_member(fresh, world.users["admin"], "admin")
    for field in ("criteria", "strength_scale"):
        response = admin.patch(f"/api/projects/{fresh.pk}/", {field: ["fine", "bad\u0000"]}, format="json")
        assert response.status_code == 400 and "NUL" in response.json()["detail"]
    line = b'{"prompt": "hi", "responses": ["a\\u0000", "b"]}\n'
    upload = {"file": SimpleUploadedFile("nul.jsonl", b'{"prompt": "ok", "responses": ["x", "y"]}\n' + line), "format": "candidates"}
    response = admin.post(f"{project_url}imports/", upload, format="multipart")
    assert response.status_code == 400 and response.json()["line"] == 2 and "NUL" in response.json()["detail"]
    assert not DataImport.objects.exists()


def test_lone_surrogates_and_non_json_numbers_are_refused_before_they_reach_the_database(api, world):
    """A lone surrogate was stored, then every encoder it met raised (the project list a 500 for
    every member, an import a 500); NaN in an import was called a collision with a concurrent write."""
    admin = api(world.users["admin"])
    response = admin.patch(f"/api/projects/{world.project.pk}/", r'{"criteria": ["\udc00"]}', content_type="application/json")
    assert response.status_code == 400 and "criteria[0]: a lone surrogate" in response.json()["detail"]
    assert admin.get("/api/projects/").status_code == 200
    for line, error in [(rb'{"prompt": "q11 \ud800", "responses": ["a", "b"]}', "'prompt' holds a lone surrogate"),
                        (rb'{"prompt": "hi", "responses": ["a", "b"], "metadata": {"x": NaN}}', "invalid JSON: NaN")]:
        data = b'{"prompt": "ok", "responses": ["x", "y"]}\n' + line + b"\n"
        upload = {"file": SimpleUploadedFile("bad.jsonl", data), "format": "candidates"}
        response = admin.post(f"/api/projects/{world.project.pk}/imports/", upload, format="multipart")
        assert response.status_code == 400 and response.json()["line"] == 2 and error in response.json()["detail"]
    assert not DataImport.objects.exists()


def test_a_project_setting_the_database_constraints_refuse_is_a_400(api, world):
    response = api(world.users["admin"]).patch(f"/api/projects/{world.project.pk}/", {"overlap": 0}, format="json")
    assert response.status_code == 400


def test_an_annotator_id_past_the_database_range_is_a_400_before_the_export_starts(api, world):
    response = api(world.users["admin"]).get(
        f"/api/projects/{world.project.pk}/export/", {"format": "raw", "exclude_annotators": 2**63}
    )
    assert response.status_code == 400 and response.json()["field"] == "exclude_annotators"


def test_a_retrain_policy_put_without_every_field_keeps_the_rest(api, world):
    response = api(world.users["admin"]).put(
        f"/api/projects/{world.project.pk}/retrain-policy/", {"base_model": "tiny/hub-model"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["enabled"] is False and response.json()["every_n_judgments"] == 500


# --- data inside pages -----------------------------------------------------------------------------

BREAKOUT = "</script><script>alert(1)</script><!--"


def test_data_in_the_page_shell_is_escaped_json(client, settings, tmp_path):
    """The one place server data is written into a page's HTML: the session JSON in the app shell,
    through ``json_script`` (``<``, ``>``, ``&`` escaped), never raw inside ``<script>``."""
    (tmp_path / "index.html").write_text("<html><head><title>t</title></head><body></body></html>")
    settings.FRONTEND_DIST = tmp_path
    from tests.factories import UserFactory

    client.force_login(UserFactory(username=BREAKOUT))
    html = client.get("/").content.decode()
    assert BREAKOUT not in html and "\\u003C/script\\u003E" in html
    assert html.count("<script") == 1  # the session JSON only


def test_no_template_or_view_marks_text_safe():
    """Autoescaping is never turned off: no ``|safe``, ``autoescape off``, ``mark_safe`` or ``format_html``."""
    sources = [p for d in SOURCE_DIRS for p in d.rglob("*") if p.suffix in (".py", ".html")]
    pattern = re.compile(r"\|\s*safe\b|autoescape\s+off|mark_safe|SafeString|format_html|\|\s*escapejs")
    assert [str(p.relative_to(ROOT)) for p in sources if pattern.search(p.read_text())] == []


# --- model paths -------------------------------------------------------------------------------------


def test_a_run_cannot_reach_another_projects_checkpoint_by_path(api, world, outsider, settings):
    """Checkpoints are reached by id, with their project checked; a base_model path into the
    artifact store (where every project's checkpoints live) would skip that check."""
    from training.models import ModelCheckpoint

    elsewhere = outsider.projects.get()
    store = settings.ARTIFACT_DIR
    (store / "checkpoints" / "run-99").mkdir(parents=True)
    (store / "checkpoints" / "run-99" / "config.json").write_text("{}")
    theirs = ModelCheckpoint.objects.create(project=elsewhere, name="theirs", kind="reward", path="checkpoints/run-99")
    admin = api(world.users["admin"])
    run = {"project": world.project.pk, "stage": "reward", "force": True}  # few judgments: see training/guardrails.py
    for base_model in ("checkpoints/run-99", str(store / "checkpoints" / "run-99"), f"{store}/../{store.name}/checkpoints/run-99"):
        response = admin.post("/api/training-runs/", {**run, "base_model": base_model}, format="json")
        assert response.status_code == 400 and "base_checkpoint" in response.json()["detail"], base_model
    assert admin.post("/api/training-runs/", {**run, "base_checkpoint": theirs.pk}, format="json").status_code == 404
    assert admin.post("/api/training-runs/", {**run, "base_model": "org/hub-model"}, format="json").status_code == 201
    # One of its own checkpoints, named by path (a retrain policy can only name a path), is fine.
    (store / "base-models" / "tiny").mkdir(parents=True)
    ModelCheckpoint.objects.create(project=world.project, name="tiny", kind="reward", path="base-models/tiny")
    assert admin.post("/api/training-runs/", {**run, "base_model": str(store / "base-models" / "tiny")}, format="json").status_code == 201
