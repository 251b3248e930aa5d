"""Forms for giving, asking for and withdrawing consent."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, RadioField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.common.forms import BaseForm, email_field, long_text, short_text
from portal.common.i18n import lazy_gettext as _l


class ResponsibilityForm(BaseForm):
    parental_responsibility = RadioField(
        _l("Do you have parental responsibility?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No")),
                 SelectChoice("not_sure", _l("I'm not sure"))],
        validators=[InputRequired(_l("Select yes if you have parental responsibility"))],
    )


class ParentConsentForm(BaseForm):
    relationship = short_text(_l("Your relationship to the child"),
                              what=_l("Your relationship to the child"), limit=100,
                              validators=[InputRequired(_l("Enter your relationship to "
                                                           "the child"))])
    agree = BooleanField(_l("I agree to the child being added to the register, and to "
                            "their information being shared as described on this page"))
    signer_name = short_text(_l("Your full name"), what=_l("Your full name"),
                             validators=[InputRequired(_l("Type your full name to sign"))])

    def validate_agree(self, field: Any) -> None:
        if not field.data:
            raise ValidationError(_l("Select the box to say you agree"))


class EmailForm(BaseForm):
    email = email_field(_l("Email address"), required=_l("Enter an email address"))


class HowToAskForm(BaseForm):
    how = RadioField(
        _l("How do you want to give them the link?"),
        choices=[
            SelectChoice("email", _l("Send it to their email address")),
            SelectChoice("screen", _l("Show a code on this screen"),
                         render_kw={"hint": _l("They scan it with their own phone")}),
        ],
        validators=[InputRequired(_l("Select how to give them the link"))],
    )


class YoungPersonForm(BaseForm):
    decision = RadioField(
        _l("Do you want to be on the list?"),
        choices=[
            SelectChoice("yes", _l("Yes")),
            SelectChoice("no", _l("No")),
            SelectChoice("talk_first", _l("I want to talk to someone first")),
        ],
        validators=[InputRequired(_l("Choose yes, no, or talk to someone first"))],
    )
    own_words = long_text(_l("Is there anything you want to tell us? (optional)"),
                          what=_l("What you want to tell us"))
    signer_name = short_text(_l("Your name"), what=_l("Your name"),
                             validators=[InputRequired(_l("Write your name"))])


class WithdrawForm(BaseForm):
    withdrawn_by = short_text(_l("Your full name"), what=_l("Your full name"),
                              validators=[InputRequired(_l("Enter your full name"))])
    reason = long_text(_l("Why are you withdrawing consent? (optional)"),
                       what=_l("Why you are withdrawing consent"))
