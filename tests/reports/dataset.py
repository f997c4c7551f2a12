"""A hand-built program whose every report figure is known in advance (see the numbers in the tests).

Period: January to March 2026. Cases (J = juvenile offender, A = adult):
  A  J  Court   property       closed completed from follow-up; session day 20, closed day 90;
                               money 300 (paid 300), community service 10 h (served 10 h)
  B  A  Police  minor assault  in follow-up; session day 30; money 500 (paid 100)
  C  A  Court   property       closed declined from screening, closed day 12
  D  J  Police  property       referred, untouched
  E  A  Court   violent        closed, session held without agreement; session day 40, closed day 42
  G  J  Court   property       closed returned from follow-up; session day 24, closed day 120;
                               money 200 (paid 50)
  F  A  Court   property       referred 2025-12-31: outside the period
  H  J  Court   property       referred 2024, closed declined: outside the period, but its 12-month
                               check fell due in it
Survey answers submitted in the period: A's victim (5 4 5 5 5, a comment), A's offender (4, prefer not
to say, 5 4 4), B's victim (3 2 4 3 3, a comment), G's guardian (5 5 5 5 5); E's victim answered after the period.
Reoffending checks due in the period: A 6 m no; E 6 m yes; C 6 m yes; C 12 m not recorded; H 12 m no;
and one outside the period (B's made-up check due in May) that the due-date view must not count, while the
referral cohort's view counts it (B was referred in the period).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from agreements.follow_up import follow_up_placement
from agreements.models import Agreement, Payment, ServiceLog, Term
from cases.models import OutcomeCheck
from cases.services import refresh_juvenile
from mediation.models import Meeting
from reports.periods import Period
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.questions import FIELDS
from tests.factories import CaseFactory, PartyFactory, PersonFactory, ReferralSourceFactory, UserFactory

PERIOD = Period(date(2026, 1, 1), date(2026, 3, 31))
TODAY = date(2026, 11, 26)


def midnight(day: date, plus_days: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=plus_days), datetime.min.time(), tzinfo=UTC)


def build(program, *, threshold: int = 1):
    """The data set; ``threshold`` is the program's small-number threshold (1 shows every figure, so the
    arithmetic can be checked; tests/reports/test_suppression.py checks what the default hides)."""
    program.report_threshold = threshold
    program.save(update_fields=["report_threshold"])
    staff = UserFactory(username="ledger")
    court = ReferralSourceFactory(program=program, name="County Court")
    police = ReferralSourceFactory(program=program, name="City Police")
    cases = {}

    def case(key, *, source, offense="property", juvenile, referred, stage="closed", outcome="", closed_from="",
             session_day=None, closed_day=None):  # fmt: skip
        incident = referred - timedelta(days=10)
        born = date(incident.year - (15 if juvenile else 30), 6, 1)
        made = CaseFactory(
            program=program, number=f"R-{key}", referral_source=source, referral_date=referred,
            incident_date=incident, offense_category=offense, stage=stage, outcome=outcome,
            closed_from_stage=closed_from, closed_at=midnight(referred, closed_day) if closed_day else None,
        )  # fmt: skip
        offender = PartyFactory(case=made, role="offender", person=PersonFactory(date_of_birth=born))
        PartyFactory(case=made, role="victim")
        if juvenile:
            PartyFactory(case=made, role="guardian", related_party=offender)
        refresh_juvenile([made.pk])
        if session_day is not None:
            Meeting.objects.create(
                case=made, kind=Meeting.Kind.JOINT, status=Meeting.Status.HELD,
                scheduled_for=midnight(referred, session_day), created_by=staff,
            )  # fmt: skip
        made.offender = offender
        cases[key] = made
        return made

    case("A", source=court, juvenile=True, referred=date(2026, 1, 5), outcome="completed", closed_from="follow_up",
         session_day=20, closed_day=90)  # fmt: skip
    case("B", source=police, offense="minor_assault", juvenile=False, referred=date(2026, 1, 20), stage="follow_up",
         session_day=30)  # fmt: skip
    case("C", source=court, juvenile=False, referred=date(2026, 2, 1), outcome="declined", closed_from="screening",
         closed_day=12)  # fmt: skip
    case("D", source=police, juvenile=True, referred=date(2026, 3, 31), stage="referred")
    case("E", source=court, offense="violent", juvenile=False, referred=date(2026, 2, 10), outcome="no_agreement",
         closed_from="joint_session", session_day=40, closed_day=42)  # fmt: skip
    case("G", source=court, juvenile=True, referred=date(2026, 1, 1), outcome="returned", closed_from="follow_up",
         session_day=24, closed_day=120)  # fmt: skip
    case("F", source=court, juvenile=False, referred=date(2025, 12, 31), stage="screening")
    case("H", source=court, juvenile=True, referred=date(2024, 3, 1), outcome="declined", closed_from="screening",
         closed_day=20)  # fmt: skip

    def agreement(key, money, paid, hours=None, served=None):
        signed = Agreement.objects.create(
            case=cases[key], number=1, status=Agreement.Status.SIGNED, verification_code=f"CODE{key}",
            created_by=staff, signed_at=midnight(cases[key].referral_date, 21),
        )  # fmt: skip
        # A superseded version must not count.
        Agreement.objects.create(case=cases[key], number=2, status=Agreement.Status.SUPERSEDED, created_by=staff)
        term = Term.objects.create(
            agreement=signed, kind=Term.Kind.MONEY, responsible=cases[key].offender, description="Repay",
            amount=Decimal(money), installment_count=1, due_date=date(2026, 6, 1),
        )  # fmt: skip
        if paid:
            Payment.objects.create(term=term, amount=Decimal(paid), received_on=date(2026, 4, 1), method="cash",
                                   recorded_by=staff)  # fmt: skip
        if hours:
            service = Term.objects.create(
                agreement=signed, kind=Term.Kind.COMMUNITY_SERVICE, responsible=cases[key].offender,
                description="Park clean-up", hours=Decimal(hours), due_date=date(2026, 6, 1),
            )  # fmt: skip
            ServiceLog.objects.create(term=service, on=date(2026, 4, 2), hours=Decimal(served), place="Park",
                                      verified_by="Supervisor", recorded_by=staff)  # fmt: skip

    agreement("A", "300.00", "300.00", hours="10", served="10")
    agreement("B", "500.00", "100.00")
    agreement("G", "200.00", "50.00")
    # Loaded as a seeder loads them: the Follow-up list's summaries placed (signing does it in the app).
    follow_up_placement([cases[key].pk for key in "ABG"])

    def check(key, months, due, result):
        OutcomeCheck.objects.create(case=cases[key], party=cases[key].offender, months=months, due_on=due,
                                    result=result)  # fmt: skip

    check("A", 6, date(2026, 2, 1), "no")
    check("E", 6, date(2026, 2, 15), "yes")
    check("C", 6, date(2026, 3, 1), "yes")
    check("C", 12, date(2026, 3, 10), "")
    check("H", 12, date(2026, 1, 20), "no")
    check("B", 6, date(2026, 5, 1), "yes")  # due after the period

    def answer(key, role, day, scores, comment=""):
        party = cases[key].parties.filter(role=role).first()
        invitation = SurveyInvitation.objects.create(
            case=cases[key], party=party, occasion="joint_session", nonce=f"n-{key}-{role}",
            created_at=midnight(day, -5), expires_at=midnight(day, 25), used_at=midnight(day),
        )  # fmt: skip
        SurveyResponse.objects.create(
            invitation=invitation, case=cases[key], respondent_role=role, occasion="joint_session",
            comment=comment, submitted_at=midnight(day), **dict(zip(FIELDS, scores, strict=True)),
        )  # fmt: skip

    answer("A", "victim", date(2026, 2, 10), (5, 4, 5, 5, 5), "It helped me move on.")
    answer("A", "offender", date(2026, 2, 11), (4, None, 5, 4, 4))
    answer("B", "victim", date(2026, 3, 1), (3, 2, 4, 3, 3), "Too slow.")
    answer("G", "guardian", date(2026, 1, 30), (5, 5, 5, 5, 5))
    answer("E", "victim", date(2026, 5, 1), (1, 1, 1, 1, 1), "Outside the period.")
    return cases
