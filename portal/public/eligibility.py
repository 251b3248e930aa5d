"""A short check: is the register likely to be right for this child?

It only guides. Nobody is turned away for lack of a diagnosis: every result but
"18 or over" offers the request.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, session, url_for
from werkzeug.wrappers import Response
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.common.access import public
from portal.common.forms import BaseForm
from portal.common.i18n import lazy_gettext as _l
from portal.public import bp


class AgeForm(BaseForm):
    answer = RadioField(
        _l("How old is the child or young person?"),
        choices=[SelectChoice("under_18", _l("Under 18")),
                 SelectChoice("adult", _l("18 or over"))],
        validators=[InputRequired(_l("Select how old they are"))],
    )


class NeedsForm(BaseForm):
    answer = RadioField(
        _l("Is the child or young person autistic, or do they have a learning disability?"),
        choices=[
            SelectChoice("yes", _l("Yes")),
            SelectChoice("suspected", _l("We think so, or they are waiting for an assessment")),
            SelectChoice("no", _l("No")),
            SelectChoice("not_sure", _l("I'm not sure")),
        ],
        validators=[InputRequired(_l("Select an answer"))],
    )


class WorriesForm(BaseForm):
    answer = RadioField(
        _l("Are you worried they could end up in a mental-health hospital, or that their "
           "home, school or care placement could break down?"),
        choices=[
            SelectChoice("yes", _l("Yes")),
            SelectChoice("no", _l("No")),
            SelectChoice("not_sure", _l("I'm not sure")),
        ],
        validators=[InputRequired(_l("Select an answer"))],
    )


QUESTIONS: dict[str, tuple[type[BaseForm], Any]] = {
    "age": (AgeForm, _l("Under 18 only: there is a separate register for adults.")),
    "needs": (NeedsForm, _l("A diagnosis is not needed. Suspected is enough.")),
    "worries": (WorriesForm, None),
}
ORDER = list(QUESTIONS)


def _answers() -> dict[str, str]:
    return dict(session.get("eligibility") or {})


@bp.route("/check/<question>", methods=["GET", "POST"])
@public
def eligibility_question(question: str) -> Response | str:
    if question not in QUESTIONS:
        return redirect(url_for("public.eligibility_question", question="age"))
    form_class, hint = QUESTIONS[question]
    answers = _answers()
    form = form_class(data={"answer": answers.get(question)})
    if form.validate_on_submit():
        answers[question] = form.answer.data
        session["eligibility"] = answers
        if question == "age" and form.answer.data == "adult":
            return redirect(url_for("public.content", slug="adult-register"))
        index = ORDER.index(question)
        if index + 1 < len(ORDER):
            return redirect(url_for("public.eligibility_question", question=ORDER[index + 1]))
        return redirect(url_for("public.eligibility_result"))
    index = ORDER.index(question)
    back = (url_for("public.eligibility_question", question=ORDER[index - 1]) if index
            else url_for("public.home"))
    return render_template("public/eligibility/question.html", form=form, hint=hint,
                           back_url=back)


def outcome(answers: dict[str, str]) -> str:
    """likely, unsure or unlikely (which still may ask)."""
    needs, worries = answers.get("needs"), answers.get("worries")
    if needs in {"yes", "suspected"} and worries == "yes":
        return "likely"
    if needs == "no" and worries == "no":
        return "unlikely"
    return "unsure"


@bp.get("/check/result")
@public
def eligibility_result() -> Response | str:
    answers = _answers()
    if any(q not in answers for q in ORDER):
        missing = next(q for q in ORDER if q not in answers)
        return redirect(url_for("public.eligibility_question", question=missing))
    if answers["age"] == "adult":
        return redirect(url_for("public.content", slug="adult-register"))
    return render_template("public/eligibility/result.html", outcome=outcome(answers),
                           back_url=url_for("public.eligibility_question", question="worries"))
