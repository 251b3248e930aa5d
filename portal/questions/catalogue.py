"""Every question of the request, declared once.

A Question names its page (slug), its form, how it is worded (about someone else's child
or about yourself), which columns of the stored request hold its answers and how they
are converted both ways. From that one declaration come: the question pages, "check your
answers", the stored request, the request as staff see it, the evidence summary and the
"information we hold" page.

To add a question: a form in forms.py, a Question here (with its Field mappings), a
column on SupportRequest with its migration, and a page template if none fits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from wtforms.fields.choices import SelectChoice

from portal.common.forms import BaseForm
from portal.common.i18n import gettext
from portal.common.i18n import lazy_gettext as _l
from portal.domain import danger, nhs_number, postcodes
from portal.questions import forms as f

Answers = dict[str, Any]


def is_self(answers: Mapping[str, Any]) -> bool:
    return answers.get("who") == "young_person"


def is_referral(answers: Mapping[str, Any]) -> bool:
    """A professional or a foster carer asks: consent comes from someone else."""
    return answers.get("who") in f.REFERRERS


def asked_about_care(answers: Mapping[str, Any]) -> bool:
    """Whether a council looks after the child is asked when someone other than the
    family asks, or when the child lives away from their family home."""
    return is_referral(answers) or answers.get("living_situation") not in (
        None, "family_home")


@dataclass(frozen=True)
class Words:
    """The same sentence about someone else's child and about yourself (and, where the
    wording says "your family", for a professional or a foster carer asking)."""

    other: Any
    own: Any
    referral: Any = None

    def __call__(self, answers: Mapping[str, Any]) -> Any:
        if self.referral is not None and is_referral(answers):
            return self.referral
        return self.own if is_self(answers) else self.other


def _same(text: Any) -> Words:
    return Words(text, text)


def _identity(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Field:
    """One answer: its name in the form (and the draft), the column it is stored in, and
    how to turn the typed answer into the stored value and back."""

    name: str
    column: str
    store: Callable[[Any], Any] = _identity
    load: Callable[[Any], Any] = _identity


def _text_or_none(value: Any) -> Any:
    return value or None


def _date_parts(value: date | None) -> dict[str, str] | None:
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)} \
        if value else None


def parts_to_date(raw: Any) -> date | None:
    try:
        return date(int(raw["year"]), int(raw["month"]), int(raw["day"]))
    except (KeyError, TypeError, ValueError):
        return None


def _nhs(value: Any) -> str | None:
    return nhs_number.normalise(value) if value else None


def _postcode(value: Any) -> Any:
    return postcodes.normalise(value) or value if value else value


def _services(value: Any) -> list[str]:
    return [s for s in value or [] if s != "none"]


def _services_back(value: Any) -> list[str]:
    return list(value) if value else ["none"]


@dataclass(frozen=True)
class Question:
    slug: str
    form: type[BaseForm]
    template: str
    question: Words
    fields: tuple[Field, ...]
    hint: Words | None = None
    short: Words | None = None  # the row's key on "check your answers"
    record: Any = None  # the row's key wherever the request is read back (staff, family)
    applies: Callable[[Mapping[str, Any]], bool] = lambda answers: True
    evidence: bool = False  # part of the evidence summary's "needs and risks"

    @property
    def record_label(self) -> Any:
        return self.record or (self.short.other if self.short else self.question.other)


def _q(slug: str, form: type[BaseForm], template: str, question: Words,
       *fields: Field, **options: Any) -> Question:
    return Question(slug, form, template, question, tuple(fields), **options)


QUESTIONS: list[Question] = [
    _q("who", f.WhoForm, "radios",
       _same(_l("Who is asking for the child or young person to be added?")),
       Field("who", "requester_role"),
       short=_same(_l("Who is asking")), record=_l("Who asked")),
    _q("relationship", f.RelationshipForm, "input",
       _same(_l("How are you related to the child or young person?")),
       Field("relationship", "requester_relationship", _text_or_none),
       hint=_same(_l("For example, grandmother or older sister")),
       short=_same(_l("Your relationship")), record=_l("Their relationship to the child"),
       applies=lambda a: a.get("who") == "family"),
    _q("referrer-name", f.ReferrerNameForm, "input",
       _same(_l("What is your name?")),
       Field("referrer_name", "requester_name"),
       short=_same(_l("Your name")), record=_l("Name of the person asking"),
       applies=is_referral),
    _q("referrer-job", f.ReferrerJobForm, "input",
       _same(_l("What is your job?")),
       Field("referrer_job", "referrer_job"),
       hint=_same(_l("For example, social worker, special educational needs coordinator or "
                     "community nurse")),
       short=_same(_l("Your job")), record=_l("Their job"),
       applies=lambda a: a.get("who") == "professional"),
    _q("referrer-organisation", f.ReferrerOrganisationForm, "input",
       _same(_l("Which organisation do you work for?")),
       Field("referrer_organisation", "referrer_organisation"),
       hint=_same(_l("For example, the council's children's services, a school or an NHS "
                     "trust")),
       short=_same(_l("Your organisation")), record=_l("Their organisation"),
       applies=lambda a: a.get("who") == "professional"),
    _q("referrer-email", f.ReferrerEmailForm, "input",
       _same(_l("What is your email address?")),
       Field("referrer_email", "referrer_email"),
       hint=_same(_l("We will send you the reference number. If you are a professional, "
                     "use your work email address")),
       short=_same(_l("Your email address")), record=_l("Email address of the person asking"),
       applies=is_referral),
    _q("child-name", f.ChildNameForm, "child_name",
       Words(_l("What is the child or young person's name?"), _l("What is your name?")),
       Field("child_name", "child_name"),
       Field("child_preferred_name", "child_preferred_name", _text_or_none),
       short=_same(_l("Name")), record=_l("Child's name")),
    _q("date-of-birth", f.ChildDobForm, "date",
       Words(_l("What is their date of birth?"), _l("What is your date of birth?")),
       Field("child_dob", "child_date_of_birth", parts_to_date, _date_parts),
       hint=_same(_l("For example, 27 3 2012")),
       short=_same(_l("Date of birth"))),
    _q("nhs-number", f.NhsNumberForm, "nhs_number",
       Words(_l("What is their NHS number?"), _l("What is your NHS number?")),
       Field("nhs_number", "nhs_number", _nhs),
       hint=_same(_l("It is 10 numbers, like 943 476 5919. You can find it on letters from "
                     "the NHS or in the NHS App. Leave this blank if you do not know it.")),
       short=_same(_l("NHS number"))),
    _q("postcode", f.PostcodeForm, "input",
       Words(_l("What is the postcode where they live?"),
             _l("What is the postcode where you live?")),
       Field("postcode", "postcode", _postcode),
       hint=_same(_l("If they live in more than one place, use the one they stay at most")),
       short=_same(_l("Postcode"))),
    _q("where-they-live", f.LivingForm, "radios",
       Words(_l("Where do they live now?"), _l("Where do you live now?")),
       Field("living_situation", "living_situation"),
       short=_same(_l("Where they live"))),
    _q("care-status", f.CareStatusForm, "radios",
       Words(_l("Is the child or young person looked after by a council?"),
             _l("Are you looked after by a council?")),
       Field("care_status", "care_status"),
       hint=_same(_l("This is sometimes called being in care")),
       short=_same(_l("Looked after by a council")), record=_l("Care status"),
       applies=asked_about_care),
    _q("council", f.CouncilForm, "input",
       Words(_l("Which council looks after them?"), _l("Which council looks after you?")),
       Field("care_council", "care_council"),
       short=_same(_l("Council")), record=_l("Council"),
       applies=lambda a: asked_about_care(a)
       and a.get("care_status") in ("care_order", "accommodated")),
    _q("education", f.EducationForm, "input",
       Words(_l("Which school, college or placement do they go to?"),
             _l("Which school, college or placement do you go to?")),
       Field("education_setting", "education_setting"),
       hint=_same(_l("If there is no school or college at the moment, tell us that")),
       short=_same(_l("School, college or placement"))),
    _q("autism", f.AutismForm, "radios",
       Words(_l("Are they autistic?"), _l("Are you autistic?")),
       Field("autism", "autism"),
       hint=_same(_l("A diagnosis is not needed to be on the register")),
       short=_same(_l("Autism")), evidence=True),
    _q("learning-disability", f.LearningDisabilityForm, "radios",
       Words(_l("Do they have a learning disability?"),
             _l("Do you have a learning disability?")),
       Field("learning_disability", "learning_disability"),
       hint=_same(_l("A diagnosis is not needed to be on the register")),
       short=_same(_l("Learning disability")), evidence=True),
    _q("hospital", f.HospitalForm, "radios",
       Words(_l("Are they in a mental-health hospital or another inpatient unit now?"),
             _l("Are you in a mental-health hospital or another inpatient unit now?")),
       Field("in_hospital", "in_hospital", lambda v: v == "yes",
             lambda v: "yes" if v else "no"),
       hint=_same(_l("This includes a children's mental-health ward, and learning "
                     "disability and autism units")),
       short=_same(_l("In hospital now"))),
    _q("happening-now", f.HappeningNowForm, "happening_now",
       Words(_l("What is happening for them now?"), _l("What is happening for you now?")),
       Field("risks", "risks", lambda v: [str(r) for r in v or []]),
       Field("risks_in_own_words", "risks_in_own_words", _text_or_none),
       hint=_same(_l("Select all that apply")),
       short=_same(_l("What is happening")), evidence=True),
    _q("services", f.ServicesForm, "checkboxes",
       Words(_l("Which services already know them?"), _l("Which services already know you?")),
       Field("services", "services", _services, _services_back),
       hint=_same(_l("Select all that apply")),
       short=_same(_l("Services involved"))),
    _q("tried", f.TriedForm, "textarea",
       _same(_l("What has been tried so far?")),
       Field("tried", "tried", _text_or_none),
       hint=_same(_l("For example, support at school, medication, therapy or short breaks. "
                     "You can leave this blank.")),
       short=_same(_l("What has been tried")), evidence=True),
    _q("would-help", f.WouldHelpForm, "textarea",
       _same(_l("What do you think would help?")),
       Field("would_help", "would_help", _text_or_none),
       hint=_same(_l("You can leave this blank")),
       short=_same(_l("What would help")), evidence=True),
    _q("communication", f.CommunicationForm, "textarea",
       Words(_l("Do they or your family have any communication needs?"),
             _l("Do you have any communication needs?"),
             _l("Do they or their family have any communication needs?")),
       Field("communication_needs", "communication_needs", _text_or_none),
       hint=_same(_l("For example, Easy Read, British Sign Language, large print, short "
                     "phone calls or no phone calls. You can leave this blank.")),
       short=_same(_l("Communication needs")), evidence=True),
    _q("consent-from", f.ConsentFromForm, "radios",
       _same(_l("Who should we ask for consent?")),
       Field("consent_from", "consent_from"),
       hint=_same(_l("Nobody is added to the register without consent. We will email them "
                     "a link to give it. You cannot give it for them")),
       short=_same(_l("Who gives consent")), record=_l("Consent asked from"),
       applies=is_referral),
    _q("consent-name", f.ConsentNameForm, "input",
       _same(_l("What is the name of the person we should ask for consent?")),
       Field("consent_contact_name", "consent_contact_name"),
       short=_same(_l("Their name")), record=_l("Name of the person asked for consent"),
       applies=lambda a: is_referral(a) and a.get("consent_from") != "young_person"),
    _q("language", f.LanguageForm, "language",
       Words(_l("Which language would you like us to use?"),
             _l("Which language would you like us to use?"),
             _l("Which language should we use with the family?")),
       Field("preferred_language", "preferred_language", lambda v: v or "English"),
       Field("needs_interpreter", "needs_interpreter", bool),
       short=_same(_l("Language"))),
    _q("your-name", f.YourNameForm, "input",
       _same(_l("What is your name?")),
       Field("requester_name", "requester_name"),
       short=_same(_l("Your name")), record=_l("Name of the person asking"),
       applies=lambda a: not is_self(a) and not is_referral(a)),
    _q("contact-details", f.ContactForm, "contact",
       Words(_l("How can we contact you?"), _l("How can we contact you?"),
             _l("How can we contact the person who gives consent?")),
       Field("contact_email", "contact_email", _text_or_none),
       Field("contact_phone", "contact_phone", _text_or_none),
       hint=Words(_l("Give an email address, a phone number or both"),
                  _l("Give an email address, a phone number or both"),
                  _l("Give their email address: we email them a link to give consent. You "
                     "can add a phone number too")),
       short=_same(_l("Contact details"))),
    _q("contact-method", f.ContactMethodForm, "radios",
       Words(_l("How would you like us to contact you?"),
             _l("How would you like us to contact you?"),
             _l("How would they like us to contact them?")),
       Field("contact_method", "contact_method"),
       short=_same(_l("How to contact you"))),
]

QUESTION_BY_SLUG = {q.slug: q for q in QUESTIONS}
_ORDER = {q.slug: index for index, q in enumerate(QUESTIONS)}


# The journey ------------------------------------------------------------------------
#
# Besides the answers, a draft keeps: "_done" (the pages answered), "_pending" (what was
# typed on a page saved for later), "_carried" (pages answered from the eligibility check,
# not shown unless the person asks to change them) and "_warning" (the page that shows
# the help-now warning after an answer that shows danger).

def applicable(answers: Mapping[str, Any]) -> list[Question]:
    return [q for q in QUESTIONS if q.applies(answers)]


def asked(answers: Mapping[str, Any]) -> list[Question]:
    """The pages this person goes through: those that apply, less those already answered
    in the eligibility check."""
    carried = set(answers.get("_carried", []))
    return [q for q in applicable(answers) if q.slug not in carried]


def first_unanswered(answers: Mapping[str, Any]) -> Question | None:
    done = set(answers.get("_done", []))
    for q in applicable(answers):
        if q.slug not in done:
            return q
    return None


def answered_beyond(question: Question, answers: Mapping[str, Any]) -> bool:
    """True when a later question is answered already: the person has been further, so
    this one is new to them (a changed answer made it apply)."""
    done = set(answers.get("_done", [])) - set(answers.get("_carried", []))
    return any(q.slug in done for q in applicable(answers)
               if _ORDER[q.slug] > _ORDER[question.slug])


def newly_applicable(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The questions a changed answer makes apply that did not apply before."""
    had = {q.slug for q in applicable(before)}
    return [q.slug for q in applicable(after) if q.slug not in had]


def comes_after(slug: str, other: str) -> bool:
    """True when question `slug` is asked later in the journey than `other`."""
    return _ORDER[slug] > _ORDER[other]


def step_after(slug: str, answers: Mapping[str, Any]) -> Question | None:
    found = asked(answers)
    slugs = [q.slug for q in found]
    if slug not in slugs:
        later = [q for q in found if _ORDER[q.slug] > _ORDER[slug]]
        return later[0] if later else first_unanswered(answers)
    index = slugs.index(slug)
    return found[index + 1] if index + 1 < len(found) else None


def step_before(slug: str, answers: Mapping[str, Any]) -> Question | None:
    found = asked(answers)
    earlier = [q for q in found if _ORDER[q.slug] < _ORDER[slug]]
    return earlier[-1] if earlier else None


def progress(slug: str, answers: Mapping[str, Any]) -> tuple[int, int] | None:
    """(this page's number, how many pages) among the pages this person goes through."""
    slugs = [q.slug for q in asked(answers)]
    if slug not in slugs:
        return None
    return slugs.index(slug) + 1, len(slugs)


def carried_from_check(check: Mapping[str, Any] | None) -> Answers:
    """What the eligibility check already told us, where it means exactly the same as a
    request's answer. Nothing is guessed: "yes", "we think so" or "not sure" to "autistic
    or a learning disability" do not say which, so those questions are still asked."""
    check = check or {}
    if check.get("needs") == "no":  # neither autistic nor a learning disability
        slugs = ["autism", "learning-disability"]
        return {"autism": "no", "learning_disability": "no", "_done": slugs,
                "_carried": slugs}
    return {}


# The answers written in the family's own words, read for signs of danger.
OWN_WORDS = ("risks_in_own_words", "tried", "would_help", "communication_needs")


def shows_danger(values: Mapping[str, Any]) -> bool:
    """The answers (a page's, a draft's or a stored request's: the names are the same)
    show someone may be in danger now."""
    return danger.shows_danger_now(risks=values.get("risks") or [],
                                   texts=[values.get(name) for name in OWN_WORDS])


def form_data(question: Question, answers: Mapping[str, Any]) -> dict[str, Any]:
    """What to pre-fill a question page with."""
    return {fld.name: answers.get(fld.name) for fld in question.fields}


def answers_from_form(question: Question, form: BaseForm) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for fld in question.fields:
        value = form[fld.name]
        if isinstance(value, f.DateField):
            parts = value.parts
            result[fld.name] = {"day": parts.day, "month": parts.month, "year": parts.year}
        else:
            result[fld.name] = value.data
    return result


# What a draft may hold ----------------------------------------------------------------

ANSWER_NAMES = frozenset(fld.name for q in QUESTIONS for fld in q.fields)
_MAX_VALUES = 30  # values one field of a page may send (the longest list of boxes: 18)
_WARNING_KEYS = {"from", "on"}


def kept_in_draft(answers: Mapping[str, Any]) -> Answers:
    """What of a draft's answers may be stored: each question's own answers (checked by
    its page's form) and the journey's own keys, never a name we did not ask for. A page
    saved for later keeps only what was typed that is valid, or not answered yet."""
    kept: Answers = {}
    for name, value in answers.items():
        if name in ANSWER_NAMES:
            kept[name] = value
        elif name in ("_done", "_carried"):
            kept[name] = [s for s in value if s in QUESTION_BY_SLUG] if isinstance(
                value, list) else []
        elif name == "_warning":
            fine = (isinstance(value, dict) and set(value) <= _WARNING_KEYS
                    and all(isinstance(v, str) and len(v) <= 40 for v in value.values()))
            kept[name] = value if fine else None
        elif name == "_pending" and isinstance(value, dict):
            kept[name] = {slug: pending_answers(QUESTION_BY_SLUG[slug], typed)
                          for slug, typed in value.items()
                          if slug in QUESTION_BY_SLUG and isinstance(typed, dict)}
    return kept


def _sent_as(question: Question, name: str) -> list[str]:
    """The names a field's boxes are sent as (a date: three boxes)."""
    if getattr(getattr(question.form, name, None), "field_class", None) is f.DateField:
        return [f"{name}-{part}" for part in ("day", "month", "year")]
    return [name]


def pending_answers(question: Question, typed: Mapping[str, Any]) -> dict[str, list[str]]:
    """What was typed on a page saved before it was finished, as the page will show it
    again: each field as the form read it (trimmed), even with a mistake still in it (a
    date not finished yet), but only within its bounds: a field with hidden characters
    or longer than its limit is left out, a choice the page does not offer is dropped,
    and so is any name the page does not have."""
    from werkzeug.datastructures import MultiDict

    boxes = {fld.name: _sent_as(question, fld.name) for fld in question.fields}
    pairs = []
    for name in (b for names in boxes.values() for b in names):
        values = typed.get(name)
        values = values if isinstance(values, list) else [values]
        pairs += [(name, v) for v in values[:_MAX_VALUES] if isinstance(v, str)]
    form = question.form(formdata=MultiDict(pairs), meta={"csrf": False})
    kept: dict[str, list[str]] = {}
    for fld in question.fields:
        kept.update(_within_bounds(form[fld.name], boxes[fld.name]))
    return kept


def _within_bounds(field: Any, boxes: list[str]) -> dict[str, list[str]]:
    from wtforms import BooleanField
    from wtforms.validators import Length

    from portal.common.forms import has_control_characters

    if isinstance(field, f.DateField):
        parts = [field.parts.day, field.parts.month, field.parts.year]
        if field.parts.is_empty() or any(has_control_characters(p) for p in parts):
            return {}
        return {box: [part] for box, part in zip(boxes, parts, strict=True) if part}
    if isinstance(field, BooleanField):
        return {field.name: ["y"]} if field.data else {}
    choices = getattr(field, "choices", None)
    if choices is not None:
        offered = {str(c.value) for c in choices}
        values = field.data if isinstance(field.data, list) else [field.data]
        return {field.name: [str(v) for v in values if str(v) in offered]} if any(
            str(v) in offered for v in values) else {}
    if not isinstance(field.data, str) or not field.data:
        return {}
    limits = [v.max for v in field.validators if isinstance(v, Length) and v.max > 0]
    multiline = field.type == "TextAreaField"
    if has_control_characters(field.data, multiline=multiline) or any(
            len(field.data) > limit for limit in limits):
        return {}
    return {field.name: [field.data]}


def date_of_birth(answers: Mapping[str, Any]) -> date | None:
    return parts_to_date(answers.get("child_dob") or {})


# Storing and reading back -------------------------------------------------------------

def stored_values(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The request's columns, from a finished draft's answers."""
    values: dict[str, Any] = {}
    for q in QUESTIONS:
        applies = q.applies(answers)
        for fld in q.fields:
            if applies:
                values[fld.column] = fld.store(answers.get(fld.name))
            else:  # two questions may keep one column (a name): the one asked wins
                values.setdefault(fld.column, None)
    if is_self(answers):  # asking for yourself: you are the person asking
        values["requester_name"] = answers.get("child_name")
    return values


def answers_from(stored: Mapping[str, Any]) -> Answers:
    """The answers again, from a stored request's columns (to show them)."""
    return {fld.name: fld.load(stored.get(fld.column))
            for q in QUESTIONS for fld in q.fields}


def _label_for(choices: list[SelectChoice], value: Any) -> Any:
    for choice in choices:
        if choice.value == value:
            return choice.label
    return value


def shown_values(question: Question, answers: Mapping[str, Any]) -> list[Any]:
    """The lines that show one question's answers (escaped by the template)."""
    from flask_babel import format_date

    values: list[Any] = []
    for fld in question.fields:
        unbound = vars(question.form)[fld.name]
        value = answers.get(fld.name)
        choices = unbound.kwargs.get("choices")
        if fld.name == "child_dob":
            born = date_of_birth(answers)
            values.append(format_date(born, "d MMMM yyyy") if born else "")
        elif choices and isinstance(value, list):
            values.extend(_label_for(choices, v) for v in value)
        elif choices:
            values.append(_label_for(choices, value))
        elif isinstance(value, bool):
            if value:
                values.append(unbound.args[0] if unbound.args else unbound.kwargs.get("label"))
        elif value:
            if fld.name == "child_preferred_name":
                values.append(gettext("Likes to be called %(name)s", name=value))
            elif fld.name == "nhs_number":
                values.append(nhs_number.formatted(value))
            else:
                values.append(value)
    return [v for v in values if v]


def check_rows(answers: Mapping[str, Any]) -> list[tuple[Question, Any, list[Any]]]:
    """"Check your answers": each question that applies, in the asker's own words."""
    return [(q, q.short(answers) if q.short else q.question(answers), shown_values(q, answers))
            for q in applicable(answers)]


@dataclass(frozen=True)
class Row:
    slug: str
    label: Any
    values: list[Any]
    evidence: bool  # part of the evidence summary's "needs and risks"


def record_rows(stored: Mapping[str, Any]) -> list[Row]:
    """A stored request read back, as staff, the family and the evidence summary see it."""
    answers = answers_from(stored)
    return [Row(q.slug, q.record_label, shown_values(q, answers), q.evidence)
            for q in applicable(answers)]


SUGGESTION_WORDS = {
    "in_hospital": _l("In a mental-health hospital or another inpatient unit now"),
    "many_risks": _l("Four or more risks, at least two of them serious"),  # older requests
    "no_listed_risks": _l("None of the listed risks"),
}


def reason_label(code: str) -> Any:
    """A reason behind a suggested rating, in the words the family ticked."""
    return SUGGESTION_WORDS.get(code) or _label_for(f.RISK_CHOICES, code)
