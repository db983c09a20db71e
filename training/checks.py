"""System checks of the training settings (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def model_roots_check(app_configs, **kwargs):
    if settings.MODEL_ROOTS:
        return []
    return [
        Warning(
            "MODEL_ROOTS is empty: a project admin may start a run from any path the gpu workers can read.",
            hint="Set MODEL_ROOTS to the directories that hold base models (comma-separated), e.g. /data/models.",
            id="training.W001",
        )
    ]
