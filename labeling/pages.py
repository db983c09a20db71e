"""Browser pages: the single-page frontend shell and session login/logout."""

urlpatterns: list = []
