"""Model output and guidelines are shown, never run: no script, handler or javascript: link executes."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import ProjectFactory, add_member, make_comparison, make_prompt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMG = '<img src=x onerror="window.__xss=\'img\';alert(\'img\')">'
SCRIPT = "<script>window.__xss='script';alert('script')</script>"
PAYLOAD_A = f"""Here is an image: {IMG}

{SCRIPT}

[click me](javascript:window.__xss='md-link';alert('md-link'))

<a href="javascript:alert('raw-link')" onclick="window.__xss='onclick'">raw link</a>
"""
PAYLOAD_B = """<svg onload="window.__xss='svg'"></svg>
<iframe srcdoc="<script>parent.__xss='iframe'</script>"></iframe>
<details open ontoggle="window.__xss='toggle'">x</details>

```html
<script>window.__xss='code'</script>
```

![pixel](javascript:window.__xss='image')
<style>body { display: none }</style>
"""
GUIDELINES = f"""## Be careful

{IMG}
{SCRIPT}
<a href="javascript:window.__xss='guidelines-link'">guidelines link</a>
<form action="/logout/" method="post"><button>Log out trap</button></form>
"""


def test_script_html_and_javascript_links_never_execute(page, annotator_user, problems, shoot):
    project = ProjectFactory(guidelines=GUIDELINES)
    add_member(project, annotator_user)
    prompt = make_prompt(project, f"Please repeat: {SCRIPT}")
    make_comparison(project, texts=[PAYLOAD_A, PAYLOAD_B], prompt=prompt)

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    response_a = page.get_by_test_id("response-a")
    expect(response_a).to_be_visible()
    expect(page.get_by_test_id("guidelines")).to_be_visible()

    # The HTML the model wrote is there to read, as text.
    expect(response_a).to_contain_text(IMG)
    expect(response_a).to_contain_text(SCRIPT)
    expect(page.get_by_test_id("conversation")).to_contain_text(SCRIPT)
    expect(page.get_by_test_id("response-b")).to_contain_text("<script>window.__xss='code'</script>")

    # ...and none of it became an element.
    dangerous = "script, img, iframe, svg, style, form, [onerror], [onload], [onclick], [ontoggle]"
    assert page.locator(f".md :is({dangerous})").count() == 0
    assert page.locator(".md a[href^='javascript' i]").count() == 0

    # Clicking the neutralised links does nothing.
    for name in ["click me", "raw link", "guidelines link"]:
        links = page.locator(".md a", has_text=name)
        if links.count():
            links.first.click()
    page.get_by_test_id("response-b").get_by_text("pixel").click()
    page.wait_for_timeout(300)
    shoot(page, "annotate-xss-inert")

    assert page.evaluate("window.__xss") is None
    assert problems.dialogs == []
    assert page.url.endswith(f"/projects/{project.pk}/annotate")
    csp = page.request.get(f"/projects/{project.pk}/annotate").headers["content-security-policy"]
    assert "script-src 'self'" in csp


def test_without_the_content_security_policy_guidelines_still_run_nothing(chromium, live_server, frontend_dist, annotator_user):
    """The policy is the last layer, not the only one: with the browser told to ignore it, an
    admin's <img onerror> in the guidelines must still never run (it reached an inline handler
    the policy then blocked, a walkthrough saw in the console)."""
    project = ProjectFactory(guidelines=GUIDELINES)
    add_member(project, annotator_user)
    make_comparison(project, texts=[PAYLOAD_A, PAYLOAD_B])
    context = chromium.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.on("dialog", lambda dialog: (console.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    try:
        log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
        expect(page.get_by_test_id("guidelines")).to_be_visible()
        expect(page.get_by_test_id("response-a")).to_be_visible()
        page.wait_for_timeout(500)
        assert page.evaluate("window.__xss") is None, console
        assert not [line for line in console if line.startswith("dialog")], console
    finally:
        context.close()
