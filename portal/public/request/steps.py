"""The order of the question pages, what each asks, and how answers are read back.

Wording changes when the young person is asking for themselves ("your" not "their").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from wtforms.fields.choices import SelectChoice

from portal.common.forms import BaseForm
from portal.common.i18n import lazy_gettext as _l
from portal.public.request import forms as f

Answers = dict[str, Any]


def is_self(answers: Answers) -> bool:
    return answers.get("who") == "young_person"


@dataclass(frozen=True)
class Words:
    """The same sentence about someone else's child and about yourself."""

    other: Any
    own: Any

    def __call__(self, answers: Answers) -> Any:
        return self.own if is_self(answers) else self.other


def _same(text: Any) -> Words:
    return Words(text, text)


@dataclass(frozen=True)
class Step:
    slug: str
    form: type[BaseForm]
    template: str
    question: Words
    hint: Words | None = None
    short: Words | None = None  # the row's key on "check your answers"
    applies: Callable[[Answers], bool] = lambda answers: True


def _field_names(form: type[BaseForm]) -> tuple[str, ...]:
    from wtforms.fields.core import UnboundField

    return tuple(
        name for name, value in vars(form).items() if isinstance(value, UnboundField)
    )


STEPS: list[Step] = [
    Step("who", f.WhoForm, "radios",
         _same(_l("Who is asking for the child or young person to be added?")),
         short=_same(_l("Who is asking"))),
    Step("relationship", f.RelationshipForm, "input",
         _same(_l("How are you related to the child or young person?")),
         hint=_same(_l("For example, grandmother or older sister")),
         short=_same(_l("Your relationship")),
         applies=lambda a: a.get("who") == "family"),
    Step("child-name", f.ChildNameForm, "child_name",
         Words(_l("What is the child or young person's name?"), _l("What is your name?")),
         short=_same(_l("Name"))),
    Step("date-of-birth", f.ChildDobForm, "date",
         Words(_l("What is their date of birth?"), _l("What is your date of birth?")),
         hint=_same(_l("For example, 27 3 2012")),
         short=_same(_l("Date of birth"))),
    Step("nhs-number", f.NhsNumberForm, "nhs_number",
         Words(_l("What is their NHS number?"), _l("What is your NHS number?")),
         hint=_same(_l("It is 10 numbers, like 943 476 5919. You can find it on letters from "
                       "the NHS or in the NHS App. Leave this blank if you do not know it.")),
         short=_same(_l("NHS number"))),
    Step("postcode", f.PostcodeForm, "input",
         Words(_l("What is the postcode where they live?"),
               _l("What is the postcode where you live?")),
         hint=_same(_l("If they live in more than one place, use the one they stay at most")),
         short=_same(_l("Postcode"))),
    Step("where-they-live", f.LivingForm, "radios",
         Words(_l("Where do they live now?"), _l("Where do you live now?")),
         short=_same(_l("Where they live"))),
    Step("education", f.EducationForm, "input",
         Words(_l("Which school, college or placement do they go to?"),
               _l("Which school, college or placement do you go to?")),
         hint=_same(_l("If there is no school or college at the moment, tell us that")),
         short=_same(_l("School, college or placement"))),
    Step("autism", f.AutismForm, "radios",
         Words(_l("Are they autistic?"), _l("Are you autistic?")),
         hint=_same(_l("A diagnosis is not needed to be on the register")),
         short=_same(_l("Autism"))),
    Step("learning-disability", f.LearningDisabilityForm, "radios",
         Words(_l("Do they have a learning disability?"),
               _l("Do you have a learning disability?")),
         hint=_same(_l("A diagnosis is not needed to be on the register")),
         short=_same(_l("Learning disability"))),
    Step("hospital", f.HospitalForm, "radios",
         Words(_l("Are they in a mental-health hospital now?"),
               _l("Are you in a mental-health hospital now?")),
         hint=_same(_l("This includes a children's mental-health ward or a specialist "
                       "learning disability or autism unit")),
         short=_same(_l("In hospital now"))),
    Step("happening-now", f.HappeningNowForm, "happening_now",
         Words(_l("What is happening for them now?"), _l("What is happening for you now?")),
         hint=_same(_l("Select all that apply")),
         short=_same(_l("What is happening"))),
    Step("services", f.ServicesForm, "checkboxes",
         Words(_l("Which services already know them?"), _l("Which services already know you?")),
         hint=_same(_l("Select all that apply")),
         short=_same(_l("Services involved"))),
    Step("tried", f.TriedForm, "textarea",
         _same(_l("What has been tried so far?")),
         hint=_same(_l("For example, support at school, medication, therapy or short breaks. "
                       "You can leave this blank.")),
         short=_same(_l("What has been tried"))),
    Step("would-help", f.WouldHelpForm, "textarea",
         _same(_l("What do you think would help?")),
         hint=_same(_l("You can leave this blank")),
         short=_same(_l("What would help"))),
    Step("communication", f.CommunicationForm, "textarea",
         Words(_l("Do they or your family have any communication needs?"),
               _l("Do you have any communication needs?")),
         hint=_same(_l("For example, Easy Read, British Sign Language, large print, short "
                       "phone calls or no phone calls. You can leave this blank.")),
         short=_same(_l("Communication needs"))),
    Step("language", f.LanguageForm, "language",
         _same(_l("Which language would you like us to use?")),
         short=_same(_l("Language"))),
    Step("your-name", f.YourNameForm, "input",
         _same(_l("What is your name?")),
         short=_same(_l("Your name")),
         applies=lambda a: not is_self(a)),
    Step("contact-details", f.ContactForm, "contact",
         _same(_l("How can we contact you?")),
         hint=_same(_l("Give an email address, a phone number or both")),
         short=_same(_l("Contact details"))),
    Step("contact-method", f.ContactMethodForm, "radios",
         _same(_l("How would you like us to contact you?")),
         short=_same(_l("How to contact you"))),
]

STEP_BY_SLUG = {step.slug: step for step in STEPS}
FIELDS_BY_SLUG = {step.slug: _field_names(step.form) for step in STEPS}


def applicable(answers: Answers) -> list[Step]:
    return [step for step in STEPS if step.applies(answers)]


def first_unanswered(answers: Answers) -> Step | None:
    done = set(answers.get("_done", []))
    for step in applicable(answers):
        if step.slug not in done:
            return step
    return None


_ORDER = {step.slug: index for index, step in enumerate(STEPS)}


def comes_after(slug: str, other: str) -> bool:
    """True when question `slug` is asked later in the journey than `other`."""
    return _ORDER[slug] > _ORDER[other]


def step_after(slug: str, answers: Answers) -> Step | None:
    steps = applicable(answers)
    slugs = [s.slug for s in steps]
    if slug not in slugs:
        return first_unanswered(answers)
    index = slugs.index(slug)
    return steps[index + 1] if index + 1 < len(steps) else None


def step_before(slug: str, answers: Answers) -> Step | None:
    steps = applicable(answers)
    slugs = [s.slug for s in steps]
    if slug not in slugs or slugs.index(slug) == 0:
        return None
    return steps[slugs.index(slug) - 1]


# Reading answers back ------------------------------------------------------------------

def _label_for(choices: list[SelectChoice], value: str) -> Any:
    for choice in choices:
        if choice.value == value:
            return choice.label
    return value


def form_data(step: Step, answers: Answers) -> dict[str, Any]:
    """What to pre-fill a question page with."""
    return {name: answers.get(name) for name in FIELDS_BY_SLUG[step.slug]}


def answers_from_form(step: Step, form: BaseForm) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in FIELDS_BY_SLUG[step.slug]:
        fld = form[name]
        if isinstance(fld, f.DateField):
            parts = fld.parts
            result[name] = {"day": parts.day, "month": parts.month, "year": parts.year}
        else:
            result[name] = fld.data
    return result


def date_of_birth(answers: Answers) -> date | None:
    raw = answers.get("child_dob") or {}
    try:
        return date(int(raw["year"]), int(raw["month"]), int(raw["day"]))
    except (KeyError, TypeError, ValueError):
        return None


def summary_values(step: Step, answers: Answers) -> list[Any]:
    """The lines shown for a step on "check your answers" (escaped by the template)."""
    from flask_babel import format_date, gettext

    form = step.form
    values: list[Any] = []
    for name in FIELDS_BY_SLUG[step.slug]:
        unbound = vars(form)[name]
        value = answers.get(name)
        choices = unbound.kwargs.get("choices")
        if name == "child_dob":
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
            if name == "child_preferred_name":
                values.append(gettext("Likes to be called %(name)s", name=value))
            else:
                values.append(value)
    return values
