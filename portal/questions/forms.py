"""One small form per question page of the request journey, and the choices they offer."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from wtforms import BooleanField, RadioField, SelectMultipleField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from portal.common.forms import BaseForm, DateField, email_field, long_text, short_text
from portal.common.i18n import lazy_gettext as _l
from portal.domain import nhs_number, postcodes
from portal.domain.ratings import Risk


def _c(value: str, label: Any, hint: Any = None, exclusive: bool = False) -> SelectChoice:
    extra: dict[str, Any] = {}
    if hint:
        extra["hint"] = hint
    if exclusive:
        extra["exclusive"] = True
    return SelectChoice(value=value, label=label, render_kw=extra)


class CheckboxesField(SelectMultipleField):
    """Checkboxes: an empty answer is an empty list, never None."""

    def pre_validate(self, form: Any) -> None:
        if self.data:
            values = {c.value for c in self.choices}  # type: ignore[union-attr]
            if any(v not in values for v in self.data):
                raise ValidationError(_l("Select from the list"))


def _required(message: Any) -> InputRequired:
    return InputRequired(message=message)


# Who is asking ------------------------------------------------------------------------

WHO_CHOICES = [
    _c("parent", _l("A parent or carer with parental responsibility"),
       _l("For example a mother, father, adoptive parent or special guardian")),
    _c("family", _l("Another family member"),
       _l("For example a grandparent, aunt or older brother or sister")),
    _c("young_person", _l("I am the young person"),
       _l("You want to ask for yourself to be added")),
    _c("professional", _l("A professional (social care, education or health)"),
       _l("For example a social worker, teacher, nurse or doctor who knows the child")),
    _c("foster_carer", _l("A foster carer"),
       _l("The child lives with you as their foster carer")),
]

REFERRERS = frozenset({"professional", "foster_carer"})


class WhoForm(BaseForm):
    who = RadioField(_l("Who is asking?"), choices=WHO_CHOICES,
                     validators=[_required(_l("Select who is asking"))])


class RelationshipForm(BaseForm):
    relationship = short_text(
        _l("How are you related to the child?"), what=_l("Your relationship to the child"),
        limit=100, validators=[_required(_l("Enter how you are related to the child"))],
    )


# A professional or a foster carer asking ---------------------------------------------

class ReferrerNameForm(BaseForm):
    referrer_name = short_text(_l("Your full name"), what=_l("Your name"),
                               validators=[_required(_l("Enter your full name"))])


class ReferrerJobForm(BaseForm):
    referrer_job = short_text(_l("Your job"), what=_l("Your job"), limit=100,
                              validators=[_required(_l("Enter your job"))])


class ReferrerOrganisationForm(BaseForm):
    referrer_organisation = short_text(
        _l("Organisation"), what=_l("Organisation"),
        validators=[_required(_l("Enter the name of the organisation you work for"))])


class ReferrerEmailForm(BaseForm):
    referrer_email = email_field(_l("Email address"), required=_l("Enter your email address"))


# The child ----------------------------------------------------------------------------

class ChildNameForm(BaseForm):
    child_name = short_text(_l("Full name"), what=_l("Full name"),
                            validators=[_required(_l("Enter their full name"))])
    child_preferred_name = short_text(_l("What they like to be called (optional)"),
                                      what=_l("What they like to be called"), limit=100)


class ChildDobForm(BaseForm):
    child_dob = DateField(_l("Date of birth"), what=_l("their date of birth"),
                          what_capital=_l("Date of birth"))

    def validate_child_dob(self, field: DateField) -> None:
        if field.data and field.data > date.today():
            field.error_part = "day"
            raise ValidationError(_l("Date of birth must be today or in the past"))
        if field.data and field.data.year < date.today().year - 120:
            field.error_part = "year"
            raise ValidationError(_l("Date of birth must be a real date"))


class NhsNumberForm(BaseForm):
    nhs_number = short_text(_l("NHS number (optional)"), what=_l("NHS number"), limit=20)

    def validate_nhs_number(self, field: Any) -> None:
        if not field.data:
            return
        digits = nhs_number.normalise(field.data)
        if not (digits.isascii() and digits.isdigit()):
            raise ValidationError(_l("NHS number must only include numbers"))
        if len(digits) != 10:
            raise ValidationError(_l("NHS number must be 10 numbers"))
        if not nhs_number.is_valid(digits):
            raise ValidationError(
                _l("Enter a real NHS number. Check you have typed every number correctly")
            )


class PostcodeForm(BaseForm):
    postcode = short_text(_l("Postcode"), what=_l("Postcode"), limit=10,
                          validators=[_required(_l("Enter a postcode"))])

    def validate_postcode(self, field: Any) -> None:
        tidy = postcodes.normalise(field.data) if field.data else None
        if field.data and tidy is None:
            raise ValidationError(_l("Enter a real postcode, like AA1 1AA"))
        field.data = tidy or field.data


LIVING_CHOICES = [
    _c("family_home", _l("At home with their family")),
    _c("kinship", _l("With relatives or friends of the family")),
    _c("foster", _l("With foster carers")),
    _c("childrens_home", _l("In a children's home")),
    _c("residential_52", _l("At a residential school or home all year round"),
       _l("Sometimes called a 52-week placement")),
    _c("residential_38", _l("At a residential school during term time"),
       _l("Sometimes called a 38-week placement")),
    _c("hospital", _l("In hospital")),
    _c("other", _l("Somewhere else")),
]


class LivingForm(BaseForm):
    living_situation = RadioField(_l("Where they live"), choices=LIVING_CHOICES,
                                  validators=[_required(_l("Select where they live now"))])


class EducationForm(BaseForm):
    education_setting = short_text(
        _l("School, college or placement"), what=_l("School, college or placement"),
        validators=[_required(_l("Enter the name of their school, college or placement, "
                                 "or say they are not in education"))],
    )


DIAGNOSIS_CHOICES = [
    _c("diagnosed", _l("Yes, they have a diagnosis")),
    _c("suspected", _l("We think so, but there is no diagnosis")),
    _c("waiting", _l("They are waiting for an assessment")),
    _c("no", _l("No")),
    _c("not_sure", _l("I'm not sure")),
]


class AutismForm(BaseForm):
    autism = RadioField(_l("Autism"), choices=DIAGNOSIS_CHOICES,
                        validators=[_required(_l("Select an answer about autism"))])


class LearningDisabilityForm(BaseForm):
    learning_disability = RadioField(
        _l("Learning disability"), choices=DIAGNOSIS_CHOICES,
        validators=[_required(_l("Select an answer about a learning disability"))],
    )


YES_NO = [_c("yes", _l("Yes")), _c("no", _l("No"))]

CARE_CHOICES = [
    _c("care_order", _l("Yes, under a care order"),
       _l("A court made the order. The council shares parental responsibility with the "
          "parents")),
    _c("accommodated", _l("Yes, by agreement with the parents"),
       _l("Sometimes called section 20 or voluntary accommodation. The parents keep "
          "parental responsibility")),
    _c("none", _l("No")),
    _c("unknown", _l("I'm not sure")),
]


class CareStatusForm(BaseForm):
    care_status = RadioField(_l("Looked after by a council"), choices=CARE_CHOICES,
                             validators=[_required(_l("Select if a council looks after "
                                                      "them"))])


class CouncilForm(BaseForm):
    care_council = short_text(_l("Council"), what=_l("Council"), limit=100,
                              validators=[_required(_l("Enter the name of the council"))])


class HospitalForm(BaseForm):
    in_hospital = RadioField(_l("In hospital now"), choices=YES_NO,
                             validators=[_required(_l("Select yes if they are in hospital now"))])


# What is happening ------------------------------------------------------------------

RISK_CHOICES = [
    # Red signals.
    _c(Risk.IMMINENT_ADMISSION, _l("A professional has said they may need to go into a "
                                   "mental-health hospital soon")),
    _c(Risk.SEVERE_DISTRESS, _l("They are in severe distress")),
    _c(Risk.SEVERE_BEHAVIOUR, _l("Their behaviour that challenges is severe, or puts them or "
                                 "other people in danger")),
    _c(Risk.NO_SAFE_PLACEMENT, _l("They have nowhere safe or suitable to live or learn")),
    _c(Risk.PLACEMENT_BROKEN_DOWN, _l("Their home, care or school place has broken down")),
    # Amber signals.
    _c(Risk.PLACEMENT_UNSTABLE, _l("Their home, care or school place could break down")),
    _c(Risk.UNMET_NEED, _l("They have significant needs that nobody is meeting")),
    _c(Risk.FAMILY_STRAIN, _l("The family is finding it very hard to cope")),
    _c(Risk.SCHOOL_EXCLUSION, _l("They have been excluded from school, or can only go part "
                                 "time")),
    _c(Risk.MULTI_AGENCY_URGENT, _l("Several services need to work together for them "
                                    "urgently")),
    # Green signals, then the national risk factors and other local signals.
    _c(Risk.NEEDS_INCREASING, _l("Their needs are growing and support is not keeping up")),
    _c(Risk.RESIDENTIAL_CONCERN, _l("They live at a residential school or home, and the staff "
                                    "say they may not be able to meet their needs")),
    _c(Risk.BEHAVIOUR_CONCERN, _l("Their behaviour is causing serious worry to the people "
                                  "who support them")),
    _c(Risk.PREVIOUS_ADMISSION, _l("They have been in a mental-health hospital before, and "
                                   "people are still worried")),
    _c(Risk.YOUTH_JUSTICE, _l("They have been in trouble with the police or the youth "
                              "offending service, and people are worried about their mental "
                              "health or behaviour")),
    _c(Risk.CRISIS_CONTACT, _l("They went to A&E or needed a crisis team in the last 12 months")),
    _c(Risk.SUPPORT_CHANGES, _l("Their carers or support workers keep changing")),
    _c(Risk.TRANSITION_SOON, _l("They will soon move to adult services")),
]


class HappeningNowForm(BaseForm):
    risks = CheckboxesField(_l("What is happening"), choices=RISK_CHOICES)
    risks_in_own_words = long_text(
        _l("Tell us what is happening, in your own words"), what=_l("What is happening"),
    )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not self.risks.data and not self.risks_in_own_words.data:
            self.risks.errors = [
                _l("Select what is happening, or tell us in your own words")
            ]
            return False
        return ok


SERVICE_CHOICES = [
    _c("send", _l("Special educational needs (SEND) team")),
    _c("disabled_children", _l("Disabled children's team")),
    _c("social_worker", _l("A social worker")),
    _c("looked_after", _l("Children in care team")),
    _c("camhs", _l("Child and adolescent mental health services (CAMHS)")),
    _c("learning_disability_team", _l("Learning disability or neurodevelopmental team")),
    _c("youth_offending", _l("Youth offending service")),
    _c("school", _l("School or college staff")),
    _c("gp", _l("GP")),
    _c("short_breaks", _l("Short breaks or respite")),
    _c("none", _l("None of these"), exclusive=True),
]


class ServicesForm(BaseForm):
    services = CheckboxesField(
        _l("Services involved"), choices=SERVICE_CHOICES,
        validators=[_required(_l("Select the services that know them, or select none of "
                                 "these"))],
    )

    def validate_services(self, field: Any) -> None:
        if "none" in (field.data or []) and len(field.data) > 1:
            raise ValidationError(_l("Select the services that know them, or select none of "
                                     "these, not both"))


class TriedForm(BaseForm):
    tried = long_text(_l("What has been tried"), what=_l("What has been tried"),
                      validators=[Optional()])


class WouldHelpForm(BaseForm):
    would_help = long_text(_l("What would help"), what=_l("What would help"),
                           validators=[Optional()])


class CommunicationForm(BaseForm):
    communication_needs = long_text(_l("Communication needs"), what=_l("Communication needs"),
                                    validators=[Optional()])


class LanguageForm(BaseForm):
    preferred_language = short_text(
        _l("Language"), what=_l("Language"), limit=60,
        validators=[_required(_l("Enter the language you would like us to use"))],
    )
    needs_interpreter = BooleanField(_l("We would like an interpreter"))


# Who gives consent, when a professional or a foster carer asks ------------------------

CONSENT_FROM_CHOICES = [
    _c("parent", _l("A parent or carer with parental responsibility"),
       _l("For example a mother, father, adoptive parent or special guardian. Foster "
          "carers do not have it")),
    _c("council", _l("The child's social worker, for the council"),
       _l("Only for a child under a care order. This can be you")),
    _c("young_person", _l("The young person"), _l("Only if they are 16 or over")),
]


class ConsentFromForm(BaseForm):
    consent_from = RadioField(_l("Who gives consent"), choices=CONSENT_FROM_CHOICES,
                              validators=[_required(_l("Select who we should ask for "
                                                       "consent"))])

    def validate_with_answers(self, answers: dict[str, Any]) -> bool:
        """The council consents only under a care order; the young person at 16 or over."""
        from portal.domain.dates import age_on

        problem = None
        if self.consent_from.data == "council" and answers.get("care_status") != "care_order":
            problem = _l("The council gives consent only for a child under a care order. "
                         "Choose a parent or carer, or go back and change your answer about "
                         "care")
        if self.consent_from.data == "young_person":
            raw = answers.get("child_dob") or {}
            try:
                born = date(int(raw["year"]), int(raw["month"]), int(raw["day"]))
            except (KeyError, TypeError, ValueError):
                born = None
            if born is None or age_on(born, date.today()) < 16:
                problem = _l("The young person gives consent themselves only at 16 or over. "
                             "Choose a parent or carer")
        if problem is not None:
            self.consent_from.errors = [problem]
            return False
        return True


class ConsentNameForm(BaseForm):
    consent_contact_name = short_text(_l("Full name"), what=_l("Their name"),
                                      validators=[_required(_l("Enter their full name"))])


# About you ----------------------------------------------------------------------------

class YourNameForm(BaseForm):
    requester_name = short_text(_l("Your full name"), what=_l("Your name"),
                                validators=[_required(_l("Enter your full name"))])


_PHONE = re.compile(r"^\+?[0-9 ()-]{10,20}$")


class ContactForm(BaseForm):
    contact_email = email_field(_l("Email address"))
    contact_phone = short_text(_l("Phone number"), what=_l("Phone number"), limit=30)

    def validate_contact_phone(self, field: Any) -> None:
        if not field.data:
            return
        digits = re.sub(r"\D", "", field.data)
        if not _PHONE.match(field.data) or not 10 <= len(digits) <= 13:
            raise ValidationError(
                _l("Enter a phone number, like 01632 960 001 or 07700 900 982")
            )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not self.contact_email.data and not self.contact_phone.data:
            self.contact_email.errors = [_l("Enter an email address or a phone number")]
            return False
        return ok

    def validate_with_answers(self, answers: dict[str, Any]) -> bool:
        """A professional's or a foster carer's request: the person who gives consent gets
        their own link by email, so their email address is needed."""
        if answers.get("who") in REFERRERS and not self.contact_email.data:
            self.contact_email.errors = [_l("Enter their email address: we email them a "
                                            "link to give consent")]
            return False
        return True


CONTACT_METHOD_CHOICES = [
    _c("email", _l("Email")),
    _c("phone", _l("Phone call")),
    _c("text", _l("Text message")),
]


class ContactMethodForm(BaseForm):
    contact_method = RadioField(_l("How to contact you"), choices=CONTACT_METHOD_CHOICES,
                                validators=[_required(_l("Select how you would like us to "
                                                         "contact you"))])

    def validate_with_answers(self, answers: dict[str, Any]) -> bool:
        """Email needs an email address; a call or a text needs a phone number."""
        problem = contact_method_problem(self.contact_method.data, answers)
        if problem is not None:
            self.contact_method.errors = [problem]
            return False
        return True


def contact_method_problem(method: str | None, answers: dict[str, Any]) -> Any:
    if method == "email" and not answers.get("contact_email"):
        return _l("You did not give an email address. Choose another way, or go back "
                  "and add an email address")
    if method in {"phone", "text"} and not answers.get("contact_phone"):
        return _l("You did not give a phone number. Choose another way, or go back "
                  "and add a phone number")
    return None


# What a family following a request can tell us has changed since.
CHANGES = [
    _c("admitted", _l("They have been admitted to a mental-health hospital or another "
                      "inpatient unit")),
    _c("a_and_e", _l("They went to A&E")),
    _c("police", _l("The police were involved")),
    _c("placement_at_risk", _l("Their home, care or school place is at risk")),
    _c("excluded", _l("They have been excluded from school")),
]
