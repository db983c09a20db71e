"""Each training stage's config fields (default, type, range, help) and inputs, for the run form.

Read from the frozen dataclasses in ``training.ml.config`` (torch-free), so the form shows the
same defaults and limits the server applies when it validates a run. Cross-field rules (say,
``max_prompt_length`` below ``max_length``) are left to that validation; its 400 names the field.
"""

import dataclasses
import typing

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from training.inputs import POLICY, REWARD, SNAPSHOT_FORMAT, STAGE_INPUTS
from training.ml import config as ml_config
from training.models import Stage

TYPE_NAMES = {float: "float", int: "integer", bool: "boolean", str: "string", tuple: "string_list", list: "string_list"}

# The range checks of training.ml.config as bounds a form can apply before it sends anything.
CHECK_BOUNDS = {
    ml_config.positive: {"exclusive_minimum": 0},
    ml_config.non_negative: {"minimum": 0},
    ml_config.seed_value: {"minimum": 0, "maximum": ml_config.MAX_SEED},
    ml_config.fraction: {"minimum": 0, "exclusive_maximum": 1},
    ml_config.unit_interval: {"minimum": 0, "maximum": 1},
    ml_config.share: {"exclusive_minimum": 0, "maximum": 1},
    ml_config.at_least_two: {"minimum": 2},
    ml_config.generations: {"minimum": 2, "maximum": ml_config.MAX_GENERATIONS},
    ml_config.precision: {"choices": ["no", "fp16", "bf16"]},
    ml_config.dtype_name: {"choices": ["auto", "float32", "bfloat16", "float16"]},
    ml_config.attention_name: {"choices": ["eager", "sdpa", "flash_attention_2"]},
    ml_config.engine_name: {"choices": list(ml_config.ENGINES)},
    ml_config.backend_name: {"choices": list(ml_config.BACKENDS)},
    ml_config.verifier_mode: {"choices": list(ml_config.VERIFIER_MODES)},
    ml_config.dpo_loss_name: {"choices": list(ml_config.DPO_LOSSES)},
    ml_config.judge_which: {"choices": list(ml_config.JUDGE_WHICH)},
    ml_config.judge_mode: {"choices": list(ml_config.JUDGE_MODES)},
}

# A stage whose config has a mode reads and leaves different things per mode: 'produces' in
# STAGE_INPUTS is its default mode's; the judge's 'revise' mode rewrites responses into a snapshot
# (training/revising.py).
STAGE_MODES = {
    Stage.JUDGE: [
        {"mode": "judge", "base_kinds": [REWARD, POLICY], "produces": "judgments"},
        {"mode": "revise", "base_kinds": [POLICY], "produces": "snapshot"},
    ],
}


def config_field(field: dataclasses.Field, hint) -> dict:
    """One field as JSON: its name, type, whether null is allowed, default, bounds and help line."""
    allowed = typing.get_args(hint) if typing.get_origin(hint) is not None else (hint,)
    concrete = [t for t in allowed if t is not type(None)]
    check = field.metadata.get("check")
    return {
        "name": field.name,
        "type": TYPE_NAMES[concrete[0]],
        "nullable": type(None) in allowed,
        "default": list(field.default) if isinstance(field.default, tuple) else field.default,
        "help": field.metadata["help"],
        "constraint": check.__doc__ if check else "",
        **(check.bounds if isinstance(check, ml_config.UpTo) else CHECK_BOUNDS.get(check, {})),
    }


def stage_configs() -> list[dict]:
    """Every stage, in the order of ``Stage``, with its config fields and inputs."""
    stages = []
    for stage in Stage:
        config_class = ml_config.STAGE_CONFIGS[stage.value]
        hints = typing.get_type_hints(config_class)
        stages.append({
            "stage": stage.value,
            "label": stage.label,
            "description": (config_class.__doc__ or "").strip(),
            "snapshot_format": SNAPSHOT_FORMAT.get(stage),
            **STAGE_INPUTS[stage],
            "modes": STAGE_MODES.get(stage, []),
            "fields": [config_field(f, hints[f.name]) for f in dataclasses.fields(config_class)],
        })
    return stages


class ConfigFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=sorted(set(TYPE_NAMES.values())))
    nullable = serializers.BooleanField(help_text="null is allowed (e.g. max_steps: none means run by epochs).")
    default = serializers.JSONField(allow_null=True)
    help = serializers.CharField()
    constraint = serializers.CharField(allow_blank=True, help_text="The range rule in words, e.g. '> 0'.")
    minimum = serializers.FloatField(required=False)
    exclusive_minimum = serializers.FloatField(required=False)
    maximum = serializers.FloatField(required=False)
    exclusive_maximum = serializers.FloatField(required=False)
    choices = serializers.ListField(child=serializers.CharField(), required=False)


class StageModeSerializer(serializers.Serializer):
    mode = serializers.CharField()
    base_kinds = serializers.ListField(child=serializers.CharField())
    produces = serializers.CharField()


class StageConfigSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    label = serializers.CharField()
    description = serializers.CharField()
    snapshot_format = serializers.CharField(allow_null=True, help_text="Export format of the snapshot it trains on; null if it reads none.")
    base_kinds = serializers.ListField(child=serializers.CharField(), help_text="Checkpoint kinds it can start from.")
    needs_reward_checkpoint = serializers.BooleanField()
    produces = serializers.CharField(
        help_text="'reward' or 'policy' (a checkpoint), 'responses', 'judgments' or 'snapshot'; "
        "for a stage with modes, its default mode's (see modes)."
    )
    modes = StageModeSerializer(many=True, help_text="Per mode of the config's 'mode' field: what it reads and produces; empty without modes.")
    fields = ConfigFieldSerializer(many=True)


class TrainingConfigListView(APIView):
    @extend_schema(responses=StageConfigSerializer(many=True), summary="Config fields and defaults of each training stage")
    def get(self, request):
        return Response(StageConfigSerializer(stage_configs(), many=True).data)


urlpatterns = [
    path("training-configs/", TrainingConfigListView.as_view(), name="training-config-list"),
]
