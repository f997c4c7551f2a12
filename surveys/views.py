"""The survey pages a party opens from the emailed link: no account, no session, CSRF as everywhere."""

from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods

from cases.models import Program
from vom.core.errors import DomainError
from vom.core.forms import add_domain_error
from vom.core.i18n import ENGLISH, catalogue_languages, document_language

from .forms import SurveyForm
from .questions import SCALE
from .selectors import LinkState, survey_link
from .services import SurveyAlreadyAnswered, SurveyLinkInvalid, program_contact, survey_response_submit


def _page(request, template: str, *, status: int = 200, invitation=None, program=None, **context):
    program = invitation.case.program if invitation is not None else program
    context |= {"program": program, "contact": program_contact(program) if program else "", "invitation": invitation}
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)  # answers and the link must not stay in any cache
    # The token is in the address: a Referer carries at most the origin, never the path. (Not
    # "no-referrer": browsers then post the form with "Origin: null", which CSRF rightly refuses.)
    response["Referrer-Policy"] = "strict-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _invalid(request, link):
    status = 404 if link.state == LinkState.UNKNOWN else 410
    return _page(request, "surveys/survey_invalid.html", status=status, invitation=link.invitation)


def _language(invitation=None, requested: str = "") -> str:
    """The party's document language; for a page without an invitation (thanks), the one the link asked for."""
    if invitation is not None:
        return document_language(invitation.party.preferred_language, invitation.case.program.document_languages)
    return requested if requested in catalogue_languages() else ENGLISH


@require_http_methods(["GET", "POST"])
def answer(request, token: str):
    link = survey_link(token)
    with translation.override(_language(link.invitation)):  # the whole page in the party's language
        response = _answer(request, link)
    response["Content-Language"] = _language(link.invitation)
    return response


def _answer(request, link):
    if link.state == LinkState.ANSWERED and request.method == "POST":
        return _page(request, "surveys/survey_answered.html", invitation=link.invitation)  # a second tab
    if link.state != LinkState.OPEN:
        return _invalid(request, link)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey_response_submit(
                invitation=link.invitation, nonce=link.nonce, scores=form.scores, comment=form.cleaned_data["comment"]
            )
        except SurveyAlreadyAnswered:
            return _page(request, "surveys/survey_answered.html", invitation=link.invitation)
        except SurveyLinkInvalid:
            return _invalid(request, link)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            # The thanks page names the program (and the language), never the case or the link.
            query = {"program": link.invitation.case.program.slug}
            if translation.get_language() != ENGLISH:
                query["lang"] = translation.get_language()
            return redirect(f"{reverse('surveys:thanks')}?{urlencode(query)}")
    return _page(request, "surveys/survey_answer.html", invitation=link.invitation, form=form, scale=SCALE)


@require_GET
def thanks(request):
    program = Program.objects.filter(slug=request.GET.get("program", "")[:60]).first()
    language = _language(requested=request.GET.get("lang", "")[:10])
    with translation.override(language):
        response = _page(request, "surveys/survey_thanks.html", program=program)
    response["Content-Language"] = language
    return response
