"""Staff sign-in: email and password, then a code from an authenticator app (TOTP).

Unknown emails, wrong passwords, wrong codes and locked accounts all get the same answer,
and take about as long. Failures are counted in the database (by account) and in the
rate-limit store (by account and address), so the limits hold across every worker:
- failures for an account from one address lock that address out of that account for
  STAFF_LOCKOUT_MINUTES (a stranger locks out only themselves);
- failures for an account from everywhere (STAFF_ACCOUNT_FAILURES) slow every address to
  one try each STAFF_SLOWED_SECONDS, so the real person is slowed, never locked out;
- refused tries from one address, whichever accounts, reach a limit of their own
  (RATELIMIT_STAFF_SIGN_IN, portal/common/limits.py).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import segno
from flask import current_app, redirect, render_template, request, session, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import PasswordField
from wtforms.validators import InputRequired

from portal.cases import staff as staff_cases
from portal.cases.security_events import (
    CODE_FAILED,
    LOCKED_OUT,
    SIGN_IN_FAILED,
    record_security_event,
)
from portal.common import auth, limits
from portal.common.access import public
from portal.common.forms import BaseForm, short_text
from portal.common.i18n import gettext
from portal.common.i18n import lazy_gettext as _l
from portal.common.urls import safe_next
from portal.data.base import utcnow
from portal.data.family import email_fingerprint
from portal.data.staff import StaffUser, find_staff, find_staff_by_email, recent_failures
from portal.staff import bp

PENDING_MAX_SECONDS = 300


class SignInForm(BaseForm):
    email = short_text(_l("Email address"), what=_l("Email address"), limit=254,
                       validators=[InputRequired(_l("Enter your email address"))])
    password = PasswordField(_l("Password"),
                             validators=[InputRequired(_l("Enter your password"))])


class CodeForm(BaseForm):
    code = short_text(_l("Code"), what=_l("Code"), limit=10,
                      validators=[InputRequired(_l("Enter the 6-digit code"))])


def _refused() -> str:
    minutes = current_app.config["STAFF_LOCKOUT_MINUTES"]
    return gettext("Those details are not right, or there have been too many tries. Check "
                   "them and try again. After several tries, wait %(minutes)s minutes.",
                   minutes=minutes)


def _locked(email: str, stage: str) -> bool:
    """Whether this try is refused whatever was typed (`stage`: "password" or "code")."""
    config = current_app.config
    failures = int(config["STAFF_LOCKOUT_FAILURES"])
    since = utcnow() - timedelta(minutes=int(config["STAFF_LOCKOUT_MINUTES"]))
    everywhere = recent_failures(email, since)
    address = limits.client_address()
    if everywhere >= failures and limits.staff_failures_here(email, address) >= failures:
        return True  # this address has failed too often for this account: it waits
    if everywhere >= int(config["STAFF_ACCOUNT_FAILURES"]):
        return not limits.staff_slowed_try(email, address, stage)
    return False


def _failed(email: str) -> None:
    staff_cases.sign_in_failed(email)
    limits.staff_failure(email, limits.client_address())


def _security_event(kind: str, email: str, user: StaffUser | None) -> None:
    """A refused try, in the audit log: the account if there is one, and the typed
    address only as a fingerprint."""
    record_security_event(
        kind, actor_type="staff" if user is not None else "anonymous",
        actor_id=str(user.id) if user is not None else None,
        subject=f"staff:{user.id}" if user is not None else "unknown account",
        detail={"email": email_fingerprint(email)})


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in() -> Response | str:
    if auth.current_staff() is not None:
        return redirect(url_for("staff.home"))
    form = SignInForm()
    problem = None
    if form.validate_on_submit():
        email = form.email.data or ""
        user = find_staff_by_email(email)
        ok = auth.check_password(user, form.password.data or "")  # always runs argon2
        locked = _locked(email, "password")
        if locked or not ok or user is None or not user.active:
            _failed(email)
            _security_event(LOCKED_OUT if locked else SIGN_IN_FAILED, email, user)
            problem = _refused()
        else:
            if auth.needs_rehash(user):  # argon2's cost changed since it was hashed
                staff_cases.password_rehashed(user, auth.hash_password(form.password.data or ""))
            session[auth.PENDING_KEY] = {"id": user.id, "at": int(time.time()),
                                         "next": (safe_next(request.args.get("next"))
                                                  if request.args.get("next") else None)}
            if user.totp_confirmed_at is None:
                return redirect(url_for("staff.enrol"))
            return redirect(url_for("staff.code"))
    return render_template("staff/sign_in.html", form=form, problem=problem,
                           timed_out=request.args.get("timed_out") == "1")


def _pending_user() -> StaffUser | None:
    pending = session.get(auth.PENDING_KEY) or {}
    if time.time() - int(pending.get("at", 0)) > PENDING_MAX_SECONDS:
        return None
    user = find_staff(int(pending.get("id", 0)))
    return user if user is not None and user.active else None


def _code_step(user: StaffUser, code: str) -> int | None:
    """The time step of a right code not used before, else None."""
    return auth.code_step(user, code)


def _finish(user: StaffUser) -> Response:
    pending = session.get(auth.PENDING_KEY) or {}
    staff_cases.signed_in(user)
    auth.start_staff_session(user)
    return redirect(pending.get("next") or url_for("staff.home"))


def _check_code(user: StaffUser, form: CodeForm, *, enrolling: bool = False
                ) -> tuple[bool, str | None]:
    """(accepted, the problem to show if a code was sent and refused)."""
    if not form.validate_on_submit():
        return False, None
    locked = _locked(user.email, "code")
    step = None if locked else _code_step(user, form.code.data or "")
    if step is None:
        _failed(user.email)
        _security_event(LOCKED_OUT if locked else CODE_FAILED, user.email, user)
        return False, _refused()
    staff_cases.code_used(user, step, enrolling=enrolling)
    return True, None


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
def code() -> Response | str:
    user = _pending_user()
    if user is None or user.totp_confirmed_at is None:
        return redirect(url_for("staff.sign_in"))
    form = CodeForm()
    accepted, problem = _check_code(user, form)
    if accepted:
        return _finish(user)
    return render_template("staff/code.html", form=form, problem=problem)


@bp.route("/sign-in/set-up-codes", methods=["GET", "POST"])
@public
def enrol() -> Response | str:
    """First sign-in: connect an authenticator app with a QR code drawn on the server."""
    user = _pending_user()
    if user is None or user.totp_confirmed_at is not None:
        return redirect(url_for("staff.sign_in"))
    secret = staff_cases.code_secret(user)
    form = CodeForm()
    accepted, problem = _check_code(user, form, enrolling=True)
    if accepted:
        return _finish(user)
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["SERVICE_NAME"])
    qr = Markup(segno.make(uri, error="m").svg_inline(  # noqa: S704 - segno's own SVG  # nosec B704
        scale=4, border=2, dark="#0b0c0c", light="#ffffff", svgclass="app-qr"))
    return render_template("staff/enrol.html", form=form, problem=problem, qr=qr,
                           secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)))


@bp.post("/sign-out")
@public
def sign_out() -> Response:
    """Signing out ends every session of this account, on every device."""
    user = auth.current_staff()
    if user is not None:
        staff_cases.signed_out(user)
    auth.end_session()
    return redirect(url_for("staff.sign_in"))

