"""Browser pages: the single-page frontend shell and session login/logout."""

from django.urls import path

urlpatterns: list = []
