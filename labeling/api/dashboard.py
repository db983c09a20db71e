"""Stub: the admin dashboard's overview endpoint (issue 7)."""

urlpatterns: list = []
