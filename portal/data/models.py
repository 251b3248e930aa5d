"""Import every model so the metadata (and Alembic) knows all tables."""

from portal.data.audit import AuditEvent
from portal.data.cetr import CetrRecommendation, CetrReview
from portal.data.consent import Consent, ConsentText, ConsentWithdrawal, StaffFindingRecord
from portal.data.drafts import Draft, EmailLink
from portal.data.family import EvidenceDocument, FamilyAccess, FamilyAccount, FamilyUpdate
from portal.data.handover import AdultReferral, AdultReferralAnswer, TransitionPlan
from portal.data.jobs import JobRun
from portal.data.keyworkers import KeyworkerRead
from portal.data.outbox import OutboxMessage
from portal.data.partners import Agency, MeetingContribution, PartnerUpdate
from portal.data.referrals import CouncilConsent, EntryContact
from portal.data.register import RatingChange, RegisterAction, RegisterEntry, RegisterNote
from portal.data.requests import RequestMessage, SupportRequest
from portal.data.returns import KeyworkerChange, ReturnSignOff, ReturnSnapshot
from portal.data.staff import SignInAttempt, StaffUser
from portal.data.stats import RegisterStat

__all__ = [
    "Agency", "AuditEvent", "CetrRecommendation", "CetrReview",
    "Consent", "ConsentText", "ConsentWithdrawal", "Draft", "EmailLink",
    "EvidenceDocument", "FamilyAccess", "FamilyAccount", "FamilyUpdate", "JobRun",
    "KeyworkerRead",
    "MeetingContribution", "OutboxMessage", "PartnerUpdate",
    "RatingChange", "RegisterAction", "RegisterEntry", "RegisterNote", "RegisterStat",
    "RequestMessage", "SignInAttempt", "StaffFindingRecord", "StaffUser", "SupportRequest",
    "AdultReferral", "AdultReferralAnswer", "TransitionPlan",
    "KeyworkerChange", "ReturnSignOff", "ReturnSnapshot",
    "CouncilConsent", "EntryContact",
]
