"""Headers a browser acts on: a 405 says which methods work (Allow), and a page whose
address holds an emailed link's token never lets that token out in a Referer."""

from __future__ import annotations

import pytest

from tests.integration.staff_support import make_staff, sign_in
from tests.support import csrf_token


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("post", "/help-now", {"GET", "HEAD", "OPTIONS"}),
    ("delete", "/staff/sign-in", {"GET", "HEAD", "OPTIONS", "POST"}),
    ("put", "/account/sign-in/some-token", {"GET", "HEAD", "OPTIONS", "POST"}),
])
def test_a_method_not_allowed_answer_says_which_methods_are(sqlite_client, method, path,
                                                            allowed):
    response = getattr(sqlite_client, method)(path)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
    assert "text/html" in response.headers["Content-Type"]  # still our own page


TOKEN_PAGES = ["/account/sign-in/{token}", "/request/return/{token}",
               "/consent/link/{token}", "/withdraw/link/{token}",
               "/young-person/start/{token}", "/staff/set-up/{token}"]


@pytest.mark.parametrize("page", TOKEN_PAGES)
def test_pages_with_a_token_in_their_address_send_only_our_origin_as_referer(
        sqlite_client, page):
    """Whatever the link's state (here one that does not work), the page and anything it
    loads or posts send at most https://our-host/, never the path with the token in it."""
    response = sqlite_client.get(page.format(token="eyJuIjoiYWJjIn0.aaaa.bbbb"))
    assert response.headers["Referrer-Policy"] == "strict-origin"


def test_a_working_link_and_the_redirect_after_it_keep_the_token_in(sqlite_app):
    admin = make_staff(sqlite_app, "admin")
    client = sqlite_app.test_client()
    sign_in(client, admin)
    assert client.get("/staff/admin/staff").headers["Referrer-Policy"] == "same-origin"
    runner = sqlite_app.test_cli_runner()
    made = runner.invoke(args=["create-staff", "headers.person@example.org", "--name",
                               "Header Person", "--role", "triage_officer"])
    path = "/staff/set-up/" + made.output.strip().rsplit("/staff/set-up/", 1)[1]
    owner = sqlite_app.test_client()
    page = owner.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "strict-origin"
    done = owner.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                  "password": "Otter-Bramble-Quarry-58",
                                  "confirm": "Otter-Bramble-Quarry-58"})
    assert done.status_code == 302 and done.headers["Referrer-Policy"] == "strict-origin"


def test_https_posts_from_a_token_page_still_pass_the_csrf_referer_check(sqlite_app,
                                                                          monkeypatch):
    """Over https the CSRF check wants a Referer of our own origin: what a browser sends
    from a strict-origin page (no path) must pass, and another site's must not."""
    client = sqlite_app.test_client()
    base = "https://localhost"
    page = client.get("/account/sign-in", base_url=base)
    token = csrf_token(page.get_data(as_text=True))
    monkeypatch.setitem(sqlite_app.config, "WTF_CSRF_SSL_STRICT", True)
    ours = client.post("/account/sign-in", base_url=base, data={
        "csrf_token": token, "email": "someone@example.org"}, headers={"Referer": base + "/"})
    assert ours.status_code == 302
    theirs = client.post("/account/sign-in", base_url=base, data={
        "csrf_token": token, "email": "someone@example.org"},
        headers={"Referer": "https://elsewhere.example/"})
    assert theirs.status_code == 400
