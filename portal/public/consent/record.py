"""The consent record: a page to print and a PDF to keep, showing exactly what was agreed."""

from __future__ import annotations

from flask import Response, render_template

from portal.common.access import public
from portal.data import consent as store
from portal.domain.consent_text import blocks
from portal.public import bp
from portal.public.consent.parent import child_name, consent_for_signer


def _context(consent_id: str) -> dict[str, object]:
    consent, req = consent_for_signer(consent_id)
    text = store.find_text(consent.text_id)
    return {"consent": consent, "req": req, "text": text,
            "blocks": blocks(text.body) if text else [],
            "withdrawal": store.withdrawal_for(consent.id), "name": child_name(req),
            "findings": store.findings_for(req.id)}


@bp.get("/consent/record/<consent_id>")
@public
def consent_record(consent_id: str) -> str:
    return render_template("public/consent/record.html", **_context(consent_id))


@bp.get("/consent/record/<consent_id>/pdf")
@public
def consent_record_pdf(consent_id: str) -> Response:
    from weasyprint import HTML  # slow to import: only when someone asks for a PDF

    context = _context(consent_id)
    html = render_template("public/consent/record_pdf.html", **context)
    # Tagged (PDF/UA-1): headings, lists and tables a screen reader can follow, the
    # document's language and its title.
    pdf = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    reference = context["req"].reference  # type: ignore[attr-defined]
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="consent-record-{reference}.pdf"',
    })
