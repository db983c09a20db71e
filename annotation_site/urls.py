from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from annotation_site.health import healthz
from labeling.login_throttle import throttled_login

urlpatterns = [
    # Before admin's own route to the same view: failed admin logins are counted like the others.
    path("admin/login/", throttled_login(admin.site.login)),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("labeling.api.urls")),
    path("api/", include("training.api")),
    path("", include("labeling.pages")),
]
