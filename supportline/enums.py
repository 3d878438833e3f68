"""The enumerations of the domain (see DOMAIN.md), stored by their string values.

Values are stable identifiers (they land in the database, exports and templates); ``label`` is
what people read. Adding a member is a code change plus, because of the CHECK constraints, a
migration.
"""

from __future__ import annotations

from enum import StrEnum


class LabelledEnum(StrEnum):
    @property
    def label(self) -> str:
        return _LABELS.get(self.value, self.value.replace("_", " ").capitalize())


class Role(LabelledEnum):
    OPERATOR = "operator"
    ADVISER = "adviser"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Route(LabelledEnum):
    TACTICAL = "tactical"
    IMMIGRATION = "immigration"
    VICTIM = "victim"
    LEGAL = "legal"


class Channel(LabelledEnum):
    PHONE = "phone"
    EMAIL = "email"
    SECURE_MESSAGE = "secure_message"
    IN_PERSON = "in_person"


class Urgency(LabelledEnum):
    """After the US hotline's call types: crisis means immediate risk to someone."""

    CRISIS = "crisis"
    URGENT = "urgent"
    ROUTINE = "routine"
    INFORMATION = "information"


class CallStatus(LabelledEnum):
    OPEN = "open"
    CLOSED = "closed"


class ConsentLevel(LabelledEnum):
    """How far the information may travel (Unseen's consent levels)."""

    SHARE = "share"
    CONFIDENTIAL = "confidential"
    ANONYMOUS = "anonymous"


class AgencyType(LabelledEnum):
    POLICE = "police"
    IMMIGRATION = "immigration"
    NATIONAL_AGENCY = "national_agency"
    CPS = "cps"
    CHILDRENS_SERVICES = "childrens_services"
    ADULT_SERVICES = "adult_services"
    GLAA = "glaa"
    HMRC = "hmrc"
    NHS = "nhs"
    NGO = "ngo"
    BUSINESS = "business"
    PUBLIC = "public"
    POTENTIAL_VICTIM = "potential_victim"
    OTHER = "other"


class ExploitationType(LabelledEnum):
    SEXUAL = "sexual"
    LABOUR = "labour"
    CRIMINAL = "criminal"
    DOMESTIC_SERVITUDE = "domestic_servitude"
    ORGAN_HARVESTING = "organ_harvesting"
    FINANCIAL = "financial"
    FORCED_SURROGACY = "forced_surrogacy"
    ILLEGAL_ADOPTION = "illegal_adoption"
    UNKNOWN = "unknown"


class AgeGroup(LabelledEnum):
    ADULT = "adult"
    CHILD = "child"
    UNKNOWN = "unknown"


class Sex(LabelledEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class WhereExploited(LabelledEnum):
    UK = "uk"
    OVERSEAS = "overseas"
    BOTH = "both"
    UNKNOWN = "unknown"


class Indicator(LabelledEnum):
    """The eleven ILO indicators of forced labour."""

    ABUSE_OF_VULNERABILITY = "abuse_of_vulnerability"
    DECEPTION = "deception"
    RESTRICTION_OF_MOVEMENT = "restriction_of_movement"
    ISOLATION = "isolation"
    PHYSICAL_SEXUAL_VIOLENCE = "physical_sexual_violence"
    INTIMIDATION_THREATS = "intimidation_threats"
    RETENTION_OF_DOCUMENTS = "retention_of_documents"
    WITHHOLDING_OF_WAGES = "withholding_of_wages"
    DEBT_BONDAGE = "debt_bondage"
    ABUSIVE_CONDITIONS = "abusive_conditions"
    EXCESSIVE_OVERTIME = "excessive_overtime"


class NrmConsent(LabelledEnum):
    CONSENTS = "consents"
    DECLINES = "declines"  # → the s.52 duty-to-notify report instead
    NOT_APPLICABLE = "not_applicable"  # a child: referral needs no consent


class Outcome(LabelledEnum):
    ADVICE_ONLY = "advice_only"
    NRM_ADVISED = "nrm_advised"
    NRM_MADE = "nrm_made"
    DTN_ADVISED = "dtn_advised"
    CRIME_RECORDED = "crime_recorded"
    CHILDRENS_SERVICES_REFERRAL = "childrens_services_referral"
    ADULT_SAFEGUARDING_REFERRAL = "adult_safeguarding_referral"
    SUPPORT_PROVIDER_REFERRAL = "support_provider_referral"
    CHILD_TRAFFICKING_GUARDIAN = "child_trafficking_guardian"
    IMMIGRATION_LIAISON = "immigration_liaison"
    CPS_COMPLEX_CASEWORK = "cps_complex_casework"
    TACTICAL_ADVISER_DEPLOYED = "tactical_adviser_deployed"
    INTELLIGENCE_SUBMITTED = "intelligence_submitted"
    SIGNPOSTED = "signposted"
    NOT_MODERN_SLAVERY = "not_modern_slavery"
    FOLLOW_UP_BOOKED = "follow_up_booked"


class ReferralTarget(LabelledEnum):
    NRM = "nrm"
    DUTY_TO_NOTIFY = "duty_to_notify"
    POLICE = "police"
    CHILDRENS_SERVICES = "childrens_services"
    ADULT_SAFEGUARDING = "adult_safeguarding"
    SUPPORT_PROVIDER = "support_provider"
    CHILD_TRAFFICKING_GUARDIAN = "child_trafficking_guardian"
    IMMIGRATION = "immigration"
    CPS = "cps"
    OTHER = "other"


class ChecklistState(LabelledEnum):
    TICKED = "ticked"
    SKIPPED = "skipped"


class FollowUpKind(LabelledEnum):
    """What a follow-up promises (issue 14)."""

    CALLBACK = "callback"  # call the officer back
    CHASE_REFERRAL = "chase_referral"
    REVIEW_CASE = "review_case"


class FollowUpPriority(LabelledEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class FollowUpStatus(LabelledEnum):
    """A follow-up is open until it is done; a snoozed one is due again at its ``snoozed_until``."""

    OPEN = "open"
    DONE = "done"
    SNOOZED = "snoozed"


class DutyRole(LabelledEnum):
    """A place on the duty rota of one advice route."""

    DUTY = "duty"
    DEPUTY = "deputy"


class HandoffStatus(LabelledEnum):
    """A call handed to a route's duty adviser: waiting until the adviser takes it."""

    WAITING = "waiting"
    TAKEN = "taken"


class AuditCategory(LabelledEnum):
    """The kinds of processing the Data Protection Act 2018 s.62 requires to be logged."""

    COLLECTION = "collection"
    ALTERATION = "alteration"
    CONSULTATION = "consultation"
    DISCLOSURE = "disclosure"
    COMBINATION = "combination"
    ERASURE = "erasure"
    ACCESS = "access"  # sign-in, sign-out, failed sign-in: not s.62 processing, kept for security


_LABELS: dict[str, str] = {
    "adviser": "Duty adviser",
    "admin": "Administrator",
    "secure_message": "Secure message",
    "in_person": "In person",
    "information": "General information",
    "national_agency": "National agency (SOCA/NCA)",
    "cps": "CPS",
    "childrens_services": "Children's services",
    "adult_services": "Adult social care",
    "glaa": "GLAA",
    "hmrc": "HMRC",
    "nhs": "NHS",
    "ngo": "NGO / first responder",
    "public": "Member of the public",
    "domestic_servitude": "Domestic servitude",
    "uk": "UK only",
    "overseas": "Overseas only",
    "both": "UK and overseas",
    "abuse_of_vulnerability": "Abuse of vulnerability",
    "physical_sexual_violence": "Physical and sexual violence",
    "intimidation_threats": "Intimidation and threats",
    "retention_of_documents": "Retention of identity documents",
    "abusive_conditions": "Abusive working and living conditions",
    "consents": "Consents to NRM referral",
    "declines": "Declines (duty to notify)",
    "not_applicable": "Not applicable (child)",
    "advice_only": "Advice given only",
    "nrm_advised": "NRM referral advised",
    "nrm_made": "NRM referral made",
    "dtn_advised": "Duty-to-notify advised",
    "crime_recorded": "Crime recorded / police referral",
    "childrens_services_referral": "Children's services referral",
    "adult_safeguarding_referral": "Adult safeguarding referral",
    "support_provider_referral": "Support provider referral",
    "child_trafficking_guardian": "Independent child trafficking guardian",
    "cps_complex_casework": "CPS complex casework",
    "signposted": "Signposted elsewhere",
    "not_modern_slavery": "Not modern slavery",
    "nrm": "National Referral Mechanism",
    "duty_to_notify": "Duty to notify (s.52)",
    "callback": "Callback to the officer",
    "chase_referral": "Chase a referral",
    "review_case": "Review the case",
    "duty": "Duty adviser",
    "waiting": "Waiting to be taken",
}
