"""What agreements knows of one case, read once per request for the case page (and for a service checking its
guard): the versions that count (the open draft or awaiting one, the signed one), who must sign and who has,
the compliance of the followed agreement and the letters to the referral source."""

from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Exists, OuterRef

from cases.extensions import CaseFacts
from cases.models import Case, Party
from cases.selectors import count_of
from vom.core.precompiled import Precompiled

from .models import Agreement, FollowUpSummary, Letter, Signature
from .selectors import Signer, required_signers


def case_annotations() -> dict:
    """Read with the case: whether it has agreements or letters at all."""
    return {
        "has_agreements": Exists(Agreement.objects.filter(case=OuterRef("pk"))),
        "has_letters": Exists(Letter.objects.filter(case=OuterRef("pk"))),
    }


@dataclass
class AgreementFacts:
    case: Case
    versions: list[Agreement]  # not superseded, newest first; each with ``signature_count``
    signers: list[Signer]  # who must sign the current version
    signed: set[str] = field(default_factory=set)  # keys of those of ``signers`` who signed the current version

    @property
    def current(self) -> Agreement | None:
        """The version that counts now: the open draft or awaiting one, else the latest signed one."""
        return self.versions[0] if self.versions else None

    @property
    def signed_version(self) -> Agreement | None:
        return next((a for a in self.versions if a.status == Agreement.Status.SIGNED), None)

    @cached_property
    def letters(self) -> list[Letter]:
        if not getattr(self.case, "has_letters", True):
            return []
        return list(Letter.objects.filter(case=self.case).select_related("party__person"))

    @cached_property
    def follow_up(self):
        """The followed agreement's row of the Follow-up list (its compliance), in follow-up; else None."""
        from .follow_up import follow_up_rows, refresh_follow_up_summaries

        agreement = self.signed_version
        if self.case.stage != Case.Stage.FOLLOW_UP or agreement is None:
            return None
        summary = getattr(agreement, "follow_up_summary", None)
        if summary is None or summary.revision != summary.source_revision:  # stale: computed on this read
            refresh_follow_up_summaries(Agreement.objects.filter(pk=agreement.pk))
            agreement.follow_up_summary = FollowUpSummary.objects.get(agreement=agreement)
        agreement.case = self.case
        return follow_up_rows([agreement])[0]


def _signed_flag(kind: str, signer_id: int):
    signatures = Signature.objects.filter(agreement=OuterRef("pk"))
    return Exists(signatures.filter(**{f"{kind}_id": signer_id}))


def _versions(case_id: int, *signer_ids: int, kinds: tuple[str, ...]):
    flags = {
        f"signed_{index}": _signed_flag(kind, pk)
        for index, (kind, pk) in enumerate(zip(kinds, signer_ids, strict=True))
    }
    return (
        Agreement.objects.filter(case_id=case_id)
        .exclude(status=Agreement.Status.SUPERSEDED)
        .select_related("follow_up_summary")
        .annotate(signature_count=count_of(Signature.objects.filter(agreement=OuterRef("pk")), "agreement_id"), **flags)
        .order_by("-number")
    )


# Compiled once per process and kinds of signers (the flags and counts cost more to compile than to run).
_VERSIONS = Precompiled(_versions)


def load_agreement_facts(*, case: Case, parties: list[Party], user=None) -> AgreementFacts:
    """One query (the versions, with who signed each), only when the case has an agreement; the letters and
    the follow-up summary when first asked for."""
    signers = required_signers(case, parties)
    if not getattr(case, "has_agreements", True):
        return AgreementFacts(case, [], signers)
    kinds = tuple("party" if signer.party is not None else "mediator" for signer in signers)
    ids = [signer.party.pk if signer.party is not None else signer.mediator.pk for signer in signers]
    versions = _VERSIONS.rows(case.pk, *ids, key=kinds, kinds=kinds)
    signed = set()
    if versions:
        signed = {signer.key for index, signer in enumerate(signers) if getattr(versions[0], f"signed_{index}")}
    return AgreementFacts(case, versions, signers, signed)


def agreement_facts(facts: CaseFacts) -> AgreementFacts:
    return facts.of("agreements")
