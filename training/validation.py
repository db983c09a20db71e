"""What a run may be made of, checked before it is queued: its base model, reward model, config,
snapshot and amount of data. Every refusal is an ``InvalidInput`` or ``Conflict`` naming what to change."""

from pathlib import Path

from django.conf import settings

from labeling.errors import Conflict, InvalidInput
from labeling.exports.options import ExportFilters
from labeling.exports.services import criteria_check, judgment_filter
from labeling.models import Prompt, SnapshotStatus
from training.inputs import ONLINE_RL, SNAPSHOT_FORMAT, STAGE_INPUTS
from training.ml.config import ConfigError, config_from_dict, criterion_problem
from training.ml.verifiers import spec_problem
from training.models import ModelCheckpoint, RunStatus, Stage, TrainingRun


def resolve_model_path(path_or_id: str) -> str:
    """A checkpoint's stored path is relative to ARTIFACT_DIR; absolute paths and hub ids pass through."""
    if not path_or_id or Path(path_or_id).is_absolute() or not (settings.ARTIFACT_DIR / path_or_id).exists():
        return path_or_id
    return str(settings.ARTIFACT_DIR / path_or_id)


def _check_base(base_model: str, base_checkpoint, project) -> None:
    if base_checkpoint is None and not base_model:
        raise InvalidInput("give base_model (a local path or hub id) or base_checkpoint")
    _check_base_model_length(base_model)
    if base_model and _in_artifact_store(base_model) and not _own_checkpoint(base_model, project):
        raise InvalidInput(
            "base_model points into the artifact store at no checkpoint of this project; "
            "start from one of this project's checkpoints with base_checkpoint"
        )
    if base_model and (problem := model_root_problem(base_model)):  # first: no answer on what exists outside
        raise InvalidInput(problem, field="base_model")
    looks_local = base_model.startswith((".", "/", "~"))
    if base_checkpoint is None and looks_local and not Path(base_model).expanduser().exists():
        raise InvalidInput(f"base_model path '{base_model}' does not exist on this server")


def model_root_problem(base_model: str) -> str | None:
    """Why a run may not load ``base_model``: a path on disk outside every ``MODEL_ROOTS``
    directory, with "..", "~" and links followed. None where MODEL_ROOTS is empty (any path the
    workers can read), for a hub id, and for the artifact store (its checkpoints are checked by
    project in ``_check_base``). The web checks its own disk; the worker checks again on its own
    before it loads anything, as a relative name may be a directory there and a hub id here."""
    roots = [Path(root).expanduser().resolve() for root in settings.MODEL_ROOTS]
    if not roots or not base_model:
        return None
    path = Path(resolve_model_path(base_model)).expanduser()
    if not (path.is_absolute() or path.exists() or base_model.startswith((".", "~"))):
        return None  # a hub id: transformers reads a name as a directory only where one exists
    resolved = path.resolve()
    allowed = [*roots, Path(settings.ARTIFACT_DIR).resolve()]
    if any(resolved.is_relative_to(root) for root in allowed):
        return None
    return (
        f"base_model '{base_model}' is outside the model directories this site allows "
        f"(MODEL_ROOTS: {', '.join(settings.MODEL_ROOTS)})"
    )


def _check_own_checkpoint(project, checkpoint, field: str) -> None:
    """A run reads its project's checkpoints only (the API finds none of another project; the
    CLI and the retraining policy name them by id too). A checkpoint of no project (registered
    by hand in the admin, or left by a deleted project) belongs to none, and may be named."""
    if project is not None and checkpoint is not None and checkpoint.project_id not in (None, project.pk):
        raise InvalidInput(f"{field} {checkpoint.pk} is not one of this project's checkpoints", field=field)


def _check_base_model_length(base_model: str) -> None:
    """Before the filesystem is asked: a path component over NAME_MAX (255 bytes on Linux) is an
    ENAMETOOLONG from ``exists()``, and a name over the column was a DataError on PostgreSQL."""
    limit = TrainingRun._meta.get_field("base_model").max_length
    if len(base_model) > limit:
        raise InvalidInput(f"base_model is longer than {limit} characters", field="base_model")
    if any(len(part.encode()) > 255 for part in base_model.split("/")):
        raise InvalidInput("base_model has a path component longer than 255 bytes", field="base_model")


def _in_artifact_store(base_model: str) -> bool:
    """Whether ``base_model`` would load from ARTIFACT_DIR, read as the worker reads it
    (``resolve_model_path``), with "..", "~" and links followed. Checkpoints there belong to
    projects, and are reached by id (``base_checkpoint``), whose project is checked."""
    path = Path(resolve_model_path(base_model)).expanduser()
    if not (path.is_absolute() or path.exists()):
        return False  # a hub id
    return path.resolve().is_relative_to(Path(settings.ARTIFACT_DIR).resolve())


def _own_checkpoint(base_model: str, project) -> bool:
    """Whether ``base_model`` is the directory of one of ``project``'s checkpoints (by another name)."""
    if project is None:
        return False
    wanted = Path(resolve_model_path(base_model)).expanduser().resolve()
    paths = ModelCheckpoint.objects.filter(project=project).values_list("path", flat=True)
    return any(Path(resolve_model_path(path)).expanduser().resolve() == wanted for path in paths)


def validate_run(
    *, stage: str, base_model: str, base_checkpoint, reward_checkpoint, config: dict, project=None
) -> dict:
    """Check everything a worker would trip over, before anything is queued; the normalised config."""
    if stage not in Stage.values:
        raise InvalidInput(f"stage must be one of {', '.join(Stage.values)}")
    _check_own_checkpoint(project, base_checkpoint, "base_checkpoint")
    _check_own_checkpoint(project, reward_checkpoint, "reward_checkpoint")
    if stage != Stage.JUDGE:  # a judge may be an endpoint instead: _check_judge
        _check_base(base_model, base_checkpoint, project)
    kinds = STAGE_INPUTS[stage]["base_kinds"]
    if base_checkpoint is not None and base_checkpoint.kind not in kinds:
        raise InvalidInput(
            f"base_checkpoint {base_checkpoint.pk} is a {base_checkpoint.kind} model; a {stage} run starts from "
            f"a {' or '.join(kinds)} model",
            field="base_checkpoint",
        )
    if reward_checkpoint is not None and stage != Stage.JUDGE and not STAGE_INPUTS[stage]["needs_reward_checkpoint"]:
        raise InvalidInput(
            f"a {stage} run takes no reward_checkpoint (ppo, grpo, rloo and best_of_n score with one): leave it out",
            field="reward_checkpoint",
        )
    if reward_checkpoint is not None and reward_checkpoint.kind != ModelCheckpoint.Kind.REWARD:
        raise InvalidInput(f"checkpoint {reward_checkpoint.pk} is not a reward model", field="reward_checkpoint")
    normalised = config_check(stage, config)
    if project is not None and normalised.get("criteria"):
        criteria_check(project, normalised["criteria"])
    if stage in ONLINE_RL:
        _check_reward_source(stage, reward_checkpoint, normalised, project)
    if project is not None and normalised.get("verifier", "none") != "none":
        _check_verify_specs(project, normalised["verifier"])
    if stage == Stage.JUDGE:
        _check_judge(base_model, base_checkpoint, reward_checkpoint, project, normalised["endpoint_model"])
        _check_revise(base_checkpoint, normalised["mode"])
    if stage == Stage.BEST_OF_N:
        _check_best_of_n(reward_checkpoint, normalised)
    return normalised


def config_check(stage: str, config) -> dict:
    """The stage's config, normalised; a 400 names the field as ``config.<name>`` (the path a
    serializer's 400 gives a nested field)."""
    if not isinstance(config or {}, dict):
        raise InvalidInput("config must be a JSON object of config fields", field="config")
    try:
        return config_from_dict(stage, config or {}).to_dict()
    except ConfigError as exc:
        raise InvalidInput(f"config: {exc}", **_config_field(exc.field)) from None


def idle_policy_check(base_model: str, config) -> dict:
    """A disabled retraining policy: what can be checked without its base model existing (its
    name's length, its config); the normalised config. Turned on, it is validated like a run."""
    _check_base_model_length(base_model)
    return config_check(Stage.REWARD, config)


def _config_field(name: str | None) -> dict:
    return {"field": f"config.{name}"} if name else {}


def _check_best_of_n(reward_checkpoint, config: dict) -> None:
    """Best-of-N samples from a policy (its kind checked with every base) and scores with a reward
    model (on one of its criteria where it was trained per criterion)."""
    if reward_checkpoint is None:
        raise InvalidInput("a best_of_n run needs reward_checkpoint (a reward model checkpoint) to score its samples")
    _check_reward_criterion(reward_checkpoint, config["reward_criterion"])


def _check_judge(base_model: str, base_checkpoint, reward_checkpoint, project, endpoint_model: str) -> None:
    """A judge is a checkpoint (its judgments are named after it): a reward model, or a causal LM
    (policy); a reward model trained per criterion must know the main verdict or one of the
    project's criteria. Or a model of the endpoint the site administrator configured."""
    if reward_checkpoint is not None:
        raise InvalidInput("a judge run takes no reward_checkpoint: give the reward model as base_checkpoint")
    if endpoint_model:
        _check_endpoint_judge(base_model, base_checkpoint)
        return
    if base_checkpoint is None or base_model:
        raise InvalidInput("a judge run judges with a checkpoint: give base_checkpoint (a reward model or policy), no base_model")
    known = base_checkpoint.criteria if base_checkpoint.kind == ModelCheckpoint.Kind.REWARD else []
    asked = set(project.criteria or []) if project is not None else set()
    if known and "overall" not in known and not asked & set(known):
        raise InvalidInput(
            f"reward checkpoint {base_checkpoint.pk} judges the criteria {', '.join(known)}, none of which "
            "the project asks for, and has no 'overall' for the main verdict"
        )


def _check_revise(base_checkpoint, mode: str) -> None:
    """Mode 'revise' writes revisions with a causal LM: a policy checkpoint (JudgeConfig itself
    refuses an endpoint)."""
    if mode == "revise" and base_checkpoint is not None and base_checkpoint.kind != ModelCheckpoint.Kind.POLICY:
        raise InvalidInput(
            f"config: JudgeConfig.mode 'revise' writes with a causal LM (policy) checkpoint; "
            f"checkpoint {base_checkpoint.pk} is a {base_checkpoint.kind} model",
            **_config_field("mode"),
        )


def _check_verify_specs(project, mode: str) -> None:
    """The prompts' checks a verifier run scores with: there are some, each well formed. A project
    with none, or a bad one (imported as free metadata), failed the run in the worker, after it
    was queued and its base loaded. Every prompt the run trains on needs its check ('add' too:
    the worker names the first without); which prompts those are is known once it exports."""
    checked = Prompt.objects.filter(project=project, metadata__has_key="verify").order_by("pk")
    if not checked.exists():
        raise InvalidInput(
            f"config: verifier '{mode}' scores responses with their prompts' checks (metadata.verify), and no "
            "prompt of this project has one: import them with the prompts' metadata, or use verifier 'none'",
            **_config_field("verifier"),
        )
    for prompt_id, spec in checked.values_list("pk", "metadata__verify").iterator(chunk_size=2000):
        if problem := spec_problem(spec):
            raise InvalidInput(f"prompt {prompt_id}'s metadata.verify: {problem}; fix it (re-import) or use verifier 'none'")


def _check_reward_source(stage: str, reward_checkpoint, config: dict, project) -> None:
    """An online run scores with a reward model, unless GRPO/RLOO's verifier is 'only' (the
    prompts' own checks), which takes none."""
    if config.get("verifier") == "only":
        if reward_checkpoint is not None:
            raise InvalidInput(
                "config: verifier 'only' scores with the prompts' checks: give no reward_checkpoint",
                **_config_field("verifier"),
            )
        return
    if reward_checkpoint is None:
        raise InvalidInput(f"a {stage} run needs reward_checkpoint (a reward model checkpoint)")
    _check_reward_criterion(reward_checkpoint, config["reward_criterion"])
    gold_id = config.get("gold_reward_checkpoint")
    if gold_id is not None:
        gold = ModelCheckpoint.objects.filter(pk=gold_id, kind=ModelCheckpoint.Kind.REWARD).first()
        owner = project.pk if project is not None else reward_checkpoint.project_id
        if gold is None or (owner and gold.project_id not in (None, owner)):
            raise InvalidInput(
                f"config: gold_reward_checkpoint {gold_id} is not a reward model checkpoint of this project",
                **_config_field("gold_reward_checkpoint"),
            )
        if gold.pk == reward_checkpoint.pk:
            raise InvalidInput(
                "config: gold_reward_checkpoint must be another reward model than reward_checkpoint",
                **_config_field("gold_reward_checkpoint"),
            )


def _check_reward_criterion(reward_checkpoint, criterion: str | None) -> None:
    """A reward model trained per criterion scores on one of them; one trained without, on none."""
    if reward_checkpoint.run is None:  # registered by hand: the worker checks its training_config.json
        return
    problem = criterion_problem(reward_checkpoint.criteria, criterion)
    if problem:
        raise InvalidInput(
            f"config: reward checkpoint {reward_checkpoint.pk}: reward_criterion {problem}", **_config_field("reward_criterion")
        )


def _check_snapshot(project, stage: str, snapshot, config: dict) -> None:
    """A run reads a ready snapshot of its own project (one still being written has no files yet)
    in its stage's format, exported with the criteria the run trains on."""
    if snapshot.project_id != project.pk:
        raise InvalidInput(f"snapshot {snapshot.pk} is not one of this project's snapshots", field="snapshot")
    if snapshot.status != SnapshotStatus.READY:
        raise Conflict(f"snapshot {snapshot.pk} is {snapshot.status}: only ready snapshots can be trained on")
    wanted = SNAPSHOT_FORMAT.get(stage)
    if wanted and snapshot.format != wanted:
        raise InvalidInput(f"a {stage} run reads a {wanted} snapshot; snapshot {snapshot.pk} is {snapshot.format}")
    criteria, exported = list(config.get("criteria") or []), snapshot.options.get("criteria", [])
    if criteria != exported:
        raise InvalidInput(
            f"config.criteria {criteria} differs from the criteria snapshot {snapshot.pk} was exported with "
            f"({exported}): leave the snapshot out and the run exports its own",
            **_config_field("criteria"),
        )


def data_check(project, stage: str, snapshot, config: dict) -> None:
    """Runs without a snapshot export the project's data when they start: refuse now if there is none."""
    if stage == Stage.JUDGE:
        _judge_data_check(project, snapshot)
        return
    if snapshot is not None and stage == Stage.GENERATE:
        raise InvalidInput(
            "a generate run samples responses for the project's prompts and reads no snapshot: leave snapshot out",
            field="snapshot",
        )
    if snapshot is not None:
        _check_snapshot(project, stage, snapshot, config)
    if snapshot is not None or stage == Stage.GENERATE:
        if stage == Stage.GENERATE and not project.prompts.exists():
            raise InvalidInput("the project has no prompts to generate responses for")
        return
    if stage == Stage.SFT and project.demonstrations.exists():
        return
    if not training_judgments(project).exists():
        raise InvalidInput(f"the project has no judgments yet: nothing to train a {stage} run on")


def training_judgments(project):
    """The judgments a run's own snapshot exports: people's, none rejected in review (a judge's
    verdicts train only through a snapshot exported with labels 'model' or 'all')."""
    return judgment_filter(project, ExportFilters())


def _check_endpoint_judge(base_model: str, base_checkpoint) -> None:
    if not settings.JUDGE_ENDPOINT_URL:
        raise InvalidInput(
            "config: endpoint_model needs the judge endpoint a site administrator configures (JUDGE_ENDPOINT_URL); "
            "this site has none: judge with a checkpoint",
            **_config_field("endpoint_model"),
        )
    if base_checkpoint is not None or base_model:
        raise InvalidInput("an endpoint judge reads no checkpoint: give endpoint_model or base_checkpoint, not both")


def _judge_data_check(project, snapshot) -> None:
    """A judge reads the project's comparisons as they are, not a snapshot."""
    if snapshot is not None:
        raise InvalidInput("a judge run reads the project's comparisons, not a snapshot: leave snapshot out")
    if not project.comparisons.exists():
        raise InvalidInput("the project has no comparisons to judge")


def queue_check(project) -> None:
    """A project may have TRAINING_MAX_QUEUED_RUNS runs waiting; caller holds the project's row lock."""
    waiting = TrainingRun.objects.filter(project=project, status=RunStatus.QUEUED).count()
    if waiting >= settings.TRAINING_MAX_QUEUED_RUNS:
        raise Conflict(
            f"project {project.slug} already has {waiting} runs waiting to start, the most allowed "
            f"(TRAINING_MAX_QUEUED_RUNS = {settings.TRAINING_MAX_QUEUED_RUNS}): cancel one or wait for one to start"
        )
