from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from annotation_site.api_errors import api_route_missing
from annotation_site.health import healthz
from annotation_site.login_throttle import throttled_login
from annotation_site.token_login import TokenView

urlpatterns = [
    # Before admin's own route to the same view: failed admin logins are counted like the others.
    path("admin/login/", throttled_login(admin.site.login)),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/auth/token/", TokenView.as_view(), name="api-token"),
    path("api/", include("labeling.urls")),
    path("api/", include("training.api")),
    # Last of the API's: every other path under /api/ is a JSON 404 (no slash-appending redirect).
    re_path(r"^api(?:/[\s\S]*)?$", api_route_missing, name="api-route-missing"),
    path("", include("annotation_site.pages")),
]
