"""factory_boy factories for the data model; tests build what they need with these."""

import itertools
import uuid

import factory
from django.contrib.auth import get_user_model

from labeling import models
from labeling.imports.formats import messages_hash, text_hash
from labeling.imports.services import _set_hash
from labeling.projects.services import project_create

_counter = itertools.count()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or "correct-horse-battery")
        if create:
            user.save(update_fields=["password"])


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Project

    slug = factory.Sequence(lambda n: f"project-{n}")
    name = factory.LazyAttribute(lambda p: p.slug.title())

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return project_create(**kwargs)  # as the API and CLI make them (with their stats row)


def add_member(project, user, role="annotator"):
    return models.Membership.objects.create(project=project, user=user, role=role)


def make_prompt(project, text=None):
    messages = [{"role": "user", "content": text or f"Question {next(_counter)}?"}]
    return models.Prompt.objects.create(project=project, messages=messages, content_hash=messages_hash(messages))


def make_response(prompt, text=None, model_name="model-a"):
    text = text or f"Answer {next(_counter)}"
    return models.Response.objects.create(
        project=prompt.project, prompt=prompt, text=text, model_name=model_name,
        content_hash=text_hash(text), length_chars=len(text),
    )


def make_comparison(project, models_=("model-a", "model-b"), texts=None, prompt=None, **fields):
    """A comparison of one response per model name, presented in the given order."""
    prompt = prompt or make_prompt(project)
    texts = texts or [None] * len(models_)
    responses = [make_response(prompt, t, m) for t, m in zip(texts, models_, strict=True)]
    comparison = models.Comparison.objects.create(
        project=project, prompt=prompt, response_set_hash=_set_hash([r.id for r in responses]), **fields
    )
    for position, response in enumerate(responses):
        models.ComparisonResponse.objects.create(comparison=comparison, response=response, position=position)
    return comparison


def new_client_key() -> str:
    return uuid.uuid4().hex


__all__ = ["UserFactory", "ProjectFactory", "add_member", "make_prompt", "make_response", "make_comparison"]
