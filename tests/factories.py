"""Fictitious test data: invented people, phone numbers from Ofcom's drama range only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportline.db import Database
from supportline.enums import (
    AgeGroup,
    AgencyType,
    Channel,
    ChecklistState,
    ConsentLevel,
    ExploitationType,
    Indicator,
    NrmConsent,
    Outcome,
    ReferralTarget,
    Role,
    Route,
    Sex,
    Urgency,
    WhereExploited,
)
from supportline.services import accounts
from supportline.services.actor import Actor
from supportline.services.call_types import (
    CallData,
    Caller,
    ChecklistEntry,
    FollowUpData,
    PersonData,
    ReferralData,
    RouteData,
)

PASSWORD = "correct horse battery staple"


def make_admin(db: Database, username: str = "ada.admin") -> Actor:
    record = accounts.create_first_admin(db, username, "Ada Admin", PASSWORD)
    return accounts.actor_for(record)


def make_user(db: Database, admin: Actor, username: str, role: Role) -> Actor:
    record = accounts.create_user(db, admin, username, username.replace(".", " ").title(), role, PASSWORD)
    return accounts.actor_for(record)


def full_call(opened_at: datetime | None = None, **changes: object) -> CallData:
    """A call with every field filled, for round trips."""
    opened = opened_at or datetime(2026, 6, 14, 2, 17, 31, 123456, tzinfo=UTC)
    data = CallData(
        caller=Caller(
            name="DS Morwenna Tregarthen",
            agency_type=AgencyType.POLICE,
            rank="Detective Sergeant",
            organisation="Devon and Cornwall Police",
            collar_number="DC 4471",
            phone="+447700900417",
            email="m.tregarthen@example.org",
        ),
        opened_at=opened,
        closed_at=opened + timedelta(minutes=23),
        status="closed",  # type: ignore[arg-type]  # strings are accepted and normalised
        channel=Channel.PHONE,
        urgency=Urgency.URGENT,
        consent_level=ConsentLevel.CONFIDENTIAL,
        summary="Car wash workers living on site; passports held by the manager",
        narrative="Officer at the scene. Four men, two may be under 18.\nInterpreter requested.",
        force_area="Devon and Cornwall Police",
        where_exploited=WhereExploited.UK,
        county_lines=False,
        nrm_consent=NrmConsent.CONSENTS,
        exploitation_types=frozenset({ExploitationType.LABOUR, ExploitationType.CRIMINAL}),
        indicators=frozenset({Indicator.RETENTION_OF_DOCUMENTS, Indicator.DEBT_BONDAGE}),
        outcomes=frozenset({Outcome.NRM_ADVISED, Outcome.CHILDRENS_SERVICES_REFERRAL}),
        persons=(
            PersonData(
                age_group=AgeGroup.CHILD,
                sex=Sex.MALE,
                age_disputed=True,
                nationalities=("VN",),
                languages=("vie",),
                interpreter_needed=True,
                name="Person A",
                notes="Says he is 19; looks younger.",
            ),
            PersonData(
                age_group=AgeGroup.ADULT,
                sex=Sex.MALE,
                nationalities=("AL", "GR"),
                languages=("sqi", "ell"),
                interpreter_needed=True,
            ),
        ),
        routes=(
            RouteData(
                route=Route.VICTIM,
                suggested=True,
                suggestion_reasons=("a child may be present", "victim present at scene"),
                template_id="victim-child",
                advice_summary="Children's services and police; NRM referral without consent.",
                checklist=(
                    ChecklistEntry("safety", ChecklistState.TICKED, opened + timedelta(minutes=3)),
                    ChecklistEntry(
                        "interpreter",
                        ChecklistState.SKIPPED,
                        opened + timedelta(minutes=4),
                        "Already arranged",
                    ),
                ),
                closed_at=opened + timedelta(minutes=20),
            ),
            RouteData(
                route=Route.IMMIGRATION,
                chosen=False,
                suggested=True,
                suggestion_reasons=("foreign national",),
            ),
        ),
        referrals=(
            ReferralData(
                target=ReferralTarget.CHILDRENS_SERVICES,
                organisation="Plymouth City Council",
                reference="CS/77",
            ),
            ReferralData(
                target=ReferralTarget.NRM,
                made_at=opened + timedelta(hours=2),
                notes="First responder: police",
            ),
        ),
        follow_ups=(FollowUpData(due_at=opened + timedelta(days=1), note="Call back the DS"),),
    )
    import dataclasses

    return dataclasses.replace(data, **changes)  # type: ignore[arg-type]


def without_advice(data: CallData) -> CallData:
    """``data`` with its routes chosen and suggested as they are, but no advice recorded on them
    (what an operator, who may not record advice, can save)."""
    import dataclasses

    routes = tuple(
        RouteData(
            route=r.route, chosen=r.chosen, suggested=r.suggested, suggestion_reasons=r.suggestion_reasons
        )
        for r in data.routes
    )
    return dataclasses.replace(data, routes=routes)


def outcome(event: object) -> str:
    """An audit event's outcome ("allowed" or "refused"): an ``AuditEvent`` row or an
    ``AuditRecord``, whether the outcome is a column of its own or (for now) in ``details``."""
    import json

    column = getattr(event, "outcome", None)
    if column:
        return str(column)
    details = getattr(event, "details", None) or {}
    if isinstance(details, str):
        details = json.loads(details or "{}")
    return str(details.get("outcome", "allowed"))
