"""Browser pages: the single-page frontend shell and session login/logout.

The frontend (``frontend/``, built into ``frontend/dist`` by ``npm run build``) routes on the
client; Django serves its ``index.html`` for ``/`` and every path under ``/projects/`` so a
reload or a shared link lands on the right screen. Built assets are static files under
``/static/`` (``STATICFILES_DIRS`` includes ``frontend/dist``).
"""

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, re_path
from django.utils.html import json_script
from django.views.decorators.csrf import ensure_csrf_cookie

from annotation_site.login_throttle import WINDOW_SECONDS, throttled_login

# Defence in depth behind the sanitizer: even if model output slipped through as HTML, the
# browser would run no inline script and load no script from elsewhere.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def _session_script(request: HttpRequest) -> str:
    """Who is signed in, for the top bar and the per-user retry queue; JSON, never executed."""
    user = request.user
    return json_script({"username": user.get_username(), "is_staff": user.is_staff}, "session")


@login_required
@ensure_csrf_cookie
def app_shell(request: HttpRequest, **_route) -> HttpResponse:
    """The built index.html, with the session info added; a clear page if the build is missing."""
    index = settings.FRONTEND_DIST / "index.html"
    try:
        html = index.read_text(encoding="utf-8")
    except FileNotFoundError:
        return render(request, "labeling/frontend_missing.html", {"dist": settings.FRONTEND_DIST}, status=503)
    html = html.replace("</head>", f"{_session_script(request)}\n</head>", 1)
    response = HttpResponse(html)
    # The shell names content-hashed assets: always fetch the current one.
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


class LoginView(auth_views.LoginView):
    """Django's login; failures are counted by ``throttled_login`` (see ``urlpatterns``)."""

    template_name = "labeling/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "allow_signup": settings.ALLOW_SIGNUP}


def login_refused(request: HttpRequest) -> HttpResponse:
    """The login page saying to wait (429): too many recent failures for this client and username."""
    context = {"throttled": True, "form": AuthenticationForm(request), "next": request.POST.get("next", "")}
    response = render(request, "labeling/login.html", context, status=429)
    response["Retry-After"] = str(WINDOW_SECONDS)
    return response


def signup(request: HttpRequest) -> HttpResponse:
    """Self-registration, only where ALLOW_SIGNUP is on; new accounts belong to no project."""
    if not settings.ALLOW_SIGNUP:
        raise Http404("self-registration is off")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save())
        return redirect("app")
    return render(request, "labeling/signup.html", {"form": form})


urlpatterns = [
    path("login/", throttled_login(LoginView.as_view(), refuse=login_refused), name="login"),
    path("signup/", signup, name="signup"),
    path("logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("", app_shell, name="app"),
    # Client-side screens: /projects/<id>/annotate now, the admin dashboard's screens later.
    re_path(r"^projects/(?P<rest>.*)$", app_shell, name="app-projects"),
]
