"""Which advice routes a call suggests, and why: facts of the call against the templates' rules.

Suggestions are advice to the adviser, never a decision: the form shows each with its reasons,
and the adviser accepts or overrides them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from supportline.enums import (
    AgeGroup,
    AgencyType,
    ExploitationType,
    NrmConsent,
    Route,
    Urgency,
    WhereExploited,
)
from supportline.guidance.model import Condition, Rule, Template
from supportline.services.call_types import CallData

UK: str = "GB"


@dataclass(frozen=True)
class CallFacts:
    """What the rules may test about a call (the keys of ``[[when]]`` rules)."""

    has_child: bool = False
    age_disputed: bool = False
    has_adult: bool = False
    nationality_known: bool = False
    non_uk_national: bool = False
    county_lines: bool = False
    suspect_may_be_victim: bool = False
    victim_at_scene: bool = False
    interpreter_needed: bool = False
    exploitation: frozenset[ExploitationType] = frozenset()
    urgency: Urgency = Urgency.ROUTINE
    where: WhereExploited = WhereExploited.UNKNOWN
    agency: AgencyType = AgencyType.OTHER
    nrm_consent: NrmConsent | None = None

    def values_of(self, set_fact: str) -> frozenset[str]:
        """The enumeration values present for a set fact (``urgency_any`` → ``{"crisis"}``)."""
        if set_fact == "exploitation_any":
            return frozenset(x.value for x in self.exploitation)
        if set_fact == "urgency_any":
            return frozenset({self.urgency.value})
        if set_fact == "where_any":
            return frozenset({self.where.value})
        if set_fact == "agency_any":
            return frozenset({self.agency.value})
        if set_fact == "nrm_consent_any":
            return frozenset() if self.nrm_consent is None else frozenset({self.nrm_consent.value})
        raise KeyError(set_fact)

    def holds(self, condition: Condition) -> bool:
        if isinstance(condition.value, bool):
            actual = True if condition.fact == "always" else bool(getattr(self, condition.fact))
            return actual == condition.value
        return bool(self.values_of(condition.fact) & condition.value)

    def fires(self, rule: Rule) -> bool:
        return all(self.holds(c) for c in rule.conditions)


def facts_from_call(data: CallData) -> CallFacts:
    persons = data.persons
    codes = [code.strip().upper() for p in persons for code in p.nationalities if code.strip()]
    return CallFacts(
        has_child=any(p.age_group == AgeGroup.CHILD or p.age_disputed for p in persons),
        age_disputed=any(p.age_disputed for p in persons),
        has_adult=any(p.age_group == AgeGroup.ADULT and not p.age_disputed for p in persons),
        nationality_known=bool(codes),
        non_uk_national=any(code != UK for code in codes),
        county_lines=data.county_lines,
        suspect_may_be_victim=data.suspect_may_be_victim,
        victim_at_scene=data.victim_at_scene,
        interpreter_needed=any(p.interpreter_needed for p in persons),
        exploitation=data.exploitation_types,
        urgency=data.urgency,
        where=data.where_exploited,
        agency=data.caller.agency_type,
        nrm_consent=data.nrm_consent,
    )


@dataclass(frozen=True)
class Suggestion:
    route: Route
    template_id: str
    reasons: tuple[str, ...]


def _depth(template: Template, by_id: dict[str, Template]) -> int:
    depth, seen = 0, {template.id}
    step = template
    while step.parent is not None and step.parent in by_id and step.parent not in seen:
        seen.add(step.parent)
        step = by_id[step.parent]
        depth += 1
    return depth


def _ancestors(template: Template, by_id: dict[str, Template]) -> list[Template]:
    out: list[Template] = []
    seen = {template.id}
    step = template
    while step.parent is not None and step.parent in by_id and step.parent not in seen:
        seen.add(step.parent)
        step = by_id[step.parent]
        out.append(step)
    return out


def suggest_routes(facts: CallFacts, templates: Iterable[Template]) -> tuple[Suggestion, ...]:
    """One suggestion per route whose templates' rules fire, in the order ``Route`` declares.

    Per route, the most specific template that fires wins (a child template beats its parent;
    between equally specific ones, the lower id). Its reasons are every rule that fired: the
    winner's first, then those of its ancestors, each once.
    """
    pool = list(templates)
    by_id = {t.id: t for t in pool}
    fired: dict[str, list[str]] = {}
    for t in pool:
        fired_here = [r.reason for r in t.rules if facts.fires(r)]
        if fired_here:
            fired[t.id] = fired_here
    out: list[Suggestion] = []
    for route in Route:
        candidates = [by_id[i] for i in fired if by_id[i].route == route]
        if not candidates:
            continue
        best = min(candidates, key=lambda t: (-_depth(t, by_id), t.id))
        reasons: list[str] = []
        for t in (best, *_ancestors(best, by_id)):
            for reason in fired.get(t.id, ()):
                if reason not in reasons:
                    reasons.append(reason)
        out.append(Suggestion(route=route, template_id=best.id, reasons=tuple(reasons)))
    return tuple(out)
