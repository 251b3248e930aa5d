"""The PDFs a family keeps (the consent record and the evidence summary) are tagged, so
a screen reader can follow them: marked as tagged, a structure of headings, paragraphs,
lists and tables, the document's language and its title."""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any

from bs4 import BeautifulSoup

from tests.integration.staff_support import make_staff, post_form, sign_in
from tests.integration.test_consent import parent_signs, send_request
from tests.integration.test_family import family_signs_in
from tests.integration.test_staff_casework import _accept, ready_request

# What each structure element may hold (PDF 1.7, 14.8.4; PDF/UA-1): a list holds list
# items, a table rows (or their groups), a row header and data cells.
ALLOWED_KIDS = {
    "/L": {"/LI", "/Caption", "/L"},
    "/Table": {"/TR", "/THead", "/TBody", "/TFoot", "/Caption"},
    "/THead": {"/TR"}, "/TBody": {"/TR"}, "/TFoot": {"/TR"},
    "/TR": {"/TH", "/TD"},
}


def structure(node: Any, parent: str | None = None) -> list[tuple[str, str | None]]:
    """(element, its parent element) for every element of the structure tree."""
    found: list[tuple[str, str | None]] = []
    node = node.get_object()
    if not isinstance(node, dict):
        return found  # marked content (a number): the text itself
    kind = node.get("/S")
    here = str(kind) if kind is not None else parent
    if kind is not None:
        found.append((str(kind), parent))
    kids = node.get("/K")
    if kids is not None:
        for kid in kids if isinstance(kids, list) else [kids]:
            found += structure(kid, here)
    return found


def is_true(value: Any) -> bool:
    """A PDF true (pypdf's BooleanObject counts as true even when it is false)."""
    return getattr(value, "value", value) is True


def page_language(html: str) -> str:
    return BeautifulSoup(html, "html.parser").find("html")["lang"]


def assert_tagged(data: bytes, *, language: str, title: str) -> str:
    """Check the PDF is tagged for screen readers; return its text (spaces tidied)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    assert is_true(root.get("/MarkInfo", {}).get("/Marked")), "not marked as tagged"
    assert "/StructTreeRoot" in root, "no structure tree"
    tree = structure(root["/StructTreeRoot"])
    kinds = Counter(kind for kind, _parent in tree)
    assert kinds["/H1"] == 1 and kinds["/H2"] >= 1, kinds  # one title, then sections
    assert kinds["/P"] >= 1, kinds
    assert kinds["/Table"] and kinds["/TH"] and kinds["/TD"], kinds  # facts with headers
    assert kinds["/L"] and kinds["/LI"], kinds
    wrong = [(kind, parent) for kind, parent in tree
             if parent in ALLOWED_KIDS and kind not in ALLOWED_KIDS[parent]]
    assert wrong == [], f"elements where they cannot be: {wrong}"
    assert str(root.get("/Lang")) == language
    assert title in (reader.metadata.title or "")
    assert is_true(root["/ViewerPreferences"]["/DisplayDocTitle"])  # the title, not a file
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "pdfuaid:part" in xmp  # says it follows PDF/UA-1
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_the_consent_record_pdf_is_tagged(app, client):
    reference = send_request(client, email="tagged.record@example.com")
    consent_id = parent_signs(client, reference, name="Jordan Example")
    page = client.get(f"/consent/record/{consent_id}").get_data(as_text=True)
    response = client.get(f"/consent/record/{consent_id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = assert_tagged(response.data, language=page_language(page),
                         title=f"Consent record {reference}")
    for shown in (reference, "Jordan Example", "Mother", "Yes, agreed",
                  "What being on the register means"):
        assert shown in text, shown


def test_the_evidence_summary_pdf_is_tagged(app, client):
    req = ready_request(app)
    staff = make_staff(app, "register_manager")
    sign_in(client, staff)
    entry_id = _accept(client, req).rsplit("/", 1)[1]
    post_form(client, f"/staff/register/{entry_id}", f"/staff/register/{entry_id}/release",
              {"release": "1"})
    family = family_signs_in(app, req.contact_email)
    page = family.get(f"/account/requests/{req.reference}").get_data(as_text=True)
    response = family.get(f"/account/requests/{req.reference}/evidence-summary.pdf")
    assert response.mimetype == "application/pdf"
    text = assert_tagged(response.data, language=page_language(page),
                         title=f"Evidence summary {req.reference}")
    assert req.reference in text
    assert "Amber: high risk of crisis or placement breakdown" in text  # the rating in words
    assert re.search(r"Verification code EV-[A-Z0-9]+", text)
