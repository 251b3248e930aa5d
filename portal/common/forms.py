"""Form base and fields that follow GOV.UK patterns.

Every form strips surrounding whitespace. Error messages follow GOV.UK wording
("Enter ...", "Select ...") and are translated.

Every text field of every form (they all come from BaseForm) is bounded here, once:
- no control characters (NUL, escape, a line break in a one-line answer...): a field
  error, before any other check sees the value. Multi-line answers may hold line breaks
  and tabs;
- a maximum length: short_text and long_text say theirs; any other text field gets
  FALLBACK_LIMIT.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field, StringField, TextAreaField, ValidationError
from wtforms.validators import Length, StopValidation

from portal.common.i18n import lazy_gettext as _l
from portal.domain.dates import DateParts, DateProblem, parse_date

LONG_ANSWER_LIMIT = 5000
SHORT_ANSWER_LIMIT = 200
FALLBACK_LIMIT = 1000  # a text field that does not say its own limit (password, hidden)

# Characters nobody types into a form: C0 controls, DEL and C1 controls. A multi-line
# answer may hold line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    return bool((_CONTROL_MULTILINE if multiline else _CONTROL).search(value))


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class PlainText:
    """Validator: no control characters (a field error, and no other check runs)."""

    def __init__(self, what: Any = None) -> None:
        self.what = what

    def __call__(self, form: Any, field: Any) -> None:
        values = [field.data] if isinstance(field.data, str) else [
            v for v in (field.raw_data or []) if isinstance(v, str)]
        multiline = isinstance(field, TextAreaField)
        if any(has_control_characters(v, multiline=multiline) for v in values):
            field.errors[:] = []
            what = self.what or field.label.text
            raise StopValidation(str(_l(
                "%(what)s must not include hidden special characters. Type it in again",
                what=what)))


class _TextLength(Length):
    """Length, for a field whose data may not be text yet (a hidden version number given
    as a number): only text has a length to check."""

    def __call__(self, form: Any, field: Any) -> None:
        if isinstance(field.data, str):
            super().__call__(form, field)


def _bounded(field: Any) -> Any:
    """The bound text field, with the control-character check first and a length limit."""
    validators = list(field.validators)
    if not any(isinstance(v, PlainText) for v in validators):
        validators.insert(0, PlainText())
    else:  # short_text and long_text name it: first all the same
        validators.sort(key=lambda v: not isinstance(v, PlainText))
    if not any(isinstance(v, Length) and v.max not in (None, -1) for v in validators):
        validators.append(_TextLength(max=FALLBACK_LIMIT, message=_l(
            "%(what)s must be %(max)s characters or fewer", what=field.label.text,
            max=f"{FALLBACK_LIMIT:,}")))
    field.validators = validators
    return field


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            # Never change the class-level field: pass the extra filter to this form only.
            if unbound_field.field_class is not DateField:
                filters = [_strip, *unbound_field.kwargs.get("filters", ())]
                field = unbound_field.bind(form=form, filters=filters, **options)
            else:
                field = unbound_field.bind(form=form, **options)
            if isinstance(field, StringField):  # one-line, multi-line, password, hidden
                field = _bounded(field)
            return field

    def error_items(self) -> list[tuple[str, str]]:
        """(anchor id, message) for the error summary, in page order."""
        items = []
        for field in self:
            if field.errors:
                anchor = getattr(field, "error_anchor", None) or field.id
                items.append((anchor, str(field.errors[0])))
        return items


def _too_long(what: Any, limit: int) -> Length:
    return Length(
        max=limit,
        message=_l("%(what)s must be %(max)s characters or fewer", what=what,
                   max=f"{limit:,}"),
    )


def short_text(label: Any, *, what: Any, limit: int = SHORT_ANSWER_LIMIT,
               **kwargs: Any) -> StringField:
    """A one-line answer. `what` names it in error messages ("Your name must be ...")."""
    validators = [PlainText(what), *kwargs.pop("validators", []), _too_long(what, limit)]
    return StringField(label, validators=validators, **kwargs)


def long_text(label: Any, *, what: Any, **kwargs: Any) -> TextAreaField:
    validators = [PlainText(what), *kwargs.pop("validators", []),
                  _too_long(what, LONG_ANSWER_LIMIT)]
    return TextAreaField(label, validators=validators, **kwargs)


class DateField(Field):
    """Three boxes (day, month, year) named <name>-day, <name>-month and <name>-year.

    What was typed is kept as typed, so a mistake never empties the boxes.
    """

    MESSAGES = {
        "missing": _l("Enter %(what)s"),
        "missing_day": _l("%(What)s must include a day"),
        "missing_month": _l("%(What)s must include a month"),
        "missing_year": _l("%(What)s must include a year"),
        "not_real": _l("%(What)s must be a real date"),
        "year_four_digits": _l("Year must include 4 numbers"),
    }

    def __init__(self, label: Any = None, validators: Any = None, *, what: Any = "",
                 what_capital: Any = "", optional: bool = False, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.optional = optional  # three empty boxes are "no date", not a mistake
        self.what = what
        self.what_capital = what_capital
        self.parts = DateParts("", "", "")
        self.error_part: str | None = None
        self.data: date | None = None

    @property
    def error_anchor(self) -> str:
        return f"{self.id}-{self.error_part or 'day'}"

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors = []
        if formdata is not None:
            self.parts = DateParts(
                *(str(formdata.get(f"{self.name}-{p}", ""))[:20].strip()
                  for p in ("day", "month", "year"))
            )
            self.raw_data = [self.parts.day, self.parts.month, self.parts.year]
        elif isinstance(data, dict):
            self.parts = DateParts(
                str(data.get("day", "")), str(data.get("month", "")), str(data.get("year", ""))
            )
        elif isinstance(data, date):
            self.parts = DateParts(str(data.day), str(data.month), str(data.year))
        try:
            self.data = parse_date(self.parts)
        except DateProblem:
            self.data = None

    def pre_validate(self, form: Any) -> None:
        if self.optional and self.parts.is_empty():
            self.data = None
            return
        try:
            self.data = parse_date(self.parts)
        except DateProblem as problem:
            self.error_part = problem.part
            message = self.MESSAGES[problem.code]
            raise ValidationError(
                str(message) % {"what": self.what, "What": self.what_capital}
            ) from None

    def _value(self) -> str:
        return self.data.isoformat() if self.data else ""

    def __html__(self) -> Markup:  # pragma: no cover - rendered by our macro instead
        return Markup("")


def normalise_email(value: str) -> str:
    """The address as email-validator writes it; ValueError if it cannot be one."""
    from email_validator import validate_email

    return str(validate_email(value, check_deliverability=False).normalized)


class EmailAddress:
    """Validator: an email address in the right format (left empty, it is not checked)."""

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            return
        try:
            field.data = normalise_email(field.data)
        except ValueError:
            raise ValidationError(_l("Enter an email address in the correct format, like "
                                     "name@example.com")) from None


def email_field(label: Any, *, required: Any = None) -> StringField:
    """An email address field: trimmed, at most 254 characters, checked and tidied."""
    from wtforms.validators import InputRequired

    validators = [InputRequired(required)] if required else []
    return short_text(label, what=_l("Email address"), limit=254,
                      validators=[*validators, EmailAddress()])
