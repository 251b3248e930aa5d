"""Long values a family may really type (a long email address, a long full name) are
kept and used like any other, on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from portal.data.register import RegisterEntry
from tests.integration.staff_support import make_staff, sign_in
from tests.integration.test_staff_casework import _accept, ready_request

LONG_EMAIL = ("a." + "very-long-family-name-" * 5 + "x@" + "example-long-domain." * 3
              + "example.com")
LONG_NAME = "Robin " + " ".join(["Longname"] * 20) + " Example"


def test_a_long_email_address_and_a_long_name_go_all_the_way_to_the_register(app):
    assert len(LONG_EMAIL) > 120 and len(LONG_NAME) > 150
    req = ready_request(app, **{
        "child-name": {"child_name": LONG_NAME, "child_preferred_name": "Robin"},
        "contact-details": {"contact_email": LONG_EMAIL, "contact_phone": ""}})
    staff = app.test_client()
    sign_in(staff, make_staff(app, "register_manager"))
    entry_url = _accept(staff, req)
    assert "/staff/register/" in entry_url
    with app.app_context():
        entry = app.extensions["sqlalchemy"].session.scalars(sa.select(RegisterEntry).where(
            RegisterEntry.request_id == req.id)).one()
        assert entry.child_name == LONG_NAME and len(entry.child_key) <= 64
