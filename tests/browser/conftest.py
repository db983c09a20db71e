"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Every test here is marked ``browser``. They need ``/usr/bin/chromium`` (``apt-get install
chromium``) and the built frontend: when ``frontend/dist`` is missing the session builds it
with npm, or skips with the reason if npm is not installed. No browser is ever downloaded.
"""

import os
import re
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import UserFactory

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to seed
# and check data are still plain synchronous calls between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
PASSWORD = "correct-horse-battery"
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
FRONTEND = REPO / "frontend"


@pytest.fixture(scope="session")
def frontend_dist():
    """The built frontend, built now if missing, and served by the live server's static handler."""
    dist = Path(settings.FRONTEND_DIST)
    if not (dist / "index.html").exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("frontend/dist is missing and npm is not installed: run `cd frontend && npm ci && npm run build`")
        if not (FRONTEND / "node_modules").exists():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=FRONTEND, check=True)
        subprocess.run([npm, "run", "build", "--silent"], cwd=FRONTEND, check=True)
    if dist not in [Path(d) for d in settings.STATICFILES_DIRS]:
        # Settings were read before the build existed; point the static finders at it now.
        from django.contrib.staticfiles import finders

        settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, dist]
        finders.get_finder.cache_clear()
    return dist


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems:
    """What a page did that it must not: dialogs (alert/confirm/prompt) and uncaught errors."""

    def __init__(self):
        self.dialogs: list[str] = []
        self.errors: list[str] = []

    def watch(self, page):
        def on_dialog(dialog):
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))


@pytest.fixture
def problems():
    return PageProblems()


@contextmanager
def watched_page(chromium, live_server, problems, **context_options):
    """A desktop-sized page of a new browser context (``context_options`` added to it), failing
    the test on any uncaught error in the page."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url, **context_options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems.watch(page)
    yield page
    context.close()
    assert problems.errors == [], f"uncaught errors in the page: {problems.errors}"


@pytest.fixture
def page(chromium, live_server, frontend_dist, problems):
    with watched_page(chromium, live_server, problems) as page:
        yield page


@pytest.fixture
def shoot():
    """``shoot(page, "name")`` saves test-artifacts/screenshots/name.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str, full_page: bool = False) -> Path:
        path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save


@pytest.fixture
def annotator_user(db):
    return UserFactory(username="ann-annotator")


def log_in(page, username: str, password: str = PASSWORD, next_path: str = "/") -> None:
    """Log in through the login form with the keyboard, and wait for the app to load."""
    page.goto(f"/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*" + re.escape(next_path) + r"$"))


def expect_shown(page, comparison) -> None:
    """The annotation screen shows ``comparison``."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", str(comparison.pk))


def press(page, *keys: str) -> None:
    for key in keys:
        page.keyboard.press(key)
