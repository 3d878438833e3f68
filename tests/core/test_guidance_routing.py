"""Route suggestions: facts of a call against small templates written here (not the shipped ones)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from supportline.enums import (
    AgeGroup,
    AgencyType,
    ExploitationType,
    NrmConsent,
    Route,
    Urgency,
    WhereExploited,
)
from supportline.guidance import loader
from supportline.guidance.model import Template
from supportline.guidance.routing import CallFacts, Suggestion, facts_from_call, suggest_routes
from supportline.services.call_types import CallData, Caller, PersonData

# id -> (route, parent, rules as TOML)
TEMPLATES: dict[str, tuple[str, str | None, str]] = {
    "tactical": (
        "tactical",
        None,
        """
[[when]]
reason = "Crisis or urgent"
urgency_any = ["crisis", "urgent"]

[[when]]
reason = "Victim at the scene"
victim_at_scene = true
""",
    ),
    "immigration": (
        "immigration",
        None,
        """
[[when]]
reason = "Non-UK national"
non_uk_national = true

[[when]]
reason = "Nationality not known"
nationality_known = false
has_adult = true
""",
    ),
    "victim": (
        "victim",
        None,
        """
[[when]]
reason = "Possible victim"
always = true
""",
    ),
    "victim-child": (
        "victim",
        "victim",
        """
[[when]]
reason = "A child or disputed age"
has_child = true
""",
    ),
    "victim-child-criminal": (
        "victim",
        "victim-child",
        """
[[when]]
reason = "A child in criminal exploitation"
has_child = true
exploitation_any = ["criminal"]

[[when]]
reason = "County lines"
county_lines = true
has_child = true
""",
    ),
    "legal": (
        "legal",
        None,
        """
[[when]]
reason = "Police or CPS asking"
agency_any = ["police", "cps"]
nrm_consent_any = ["declines"]

[[when]]
reason = "Overseas exploitation"
where_any = ["overseas", "both"]
""",
    ),
    "legal-suspect-victim": (
        "legal",
        "legal",
        """
[[when]]
reason = "A suspect who may be a victim"
suspect_may_be_victim = true

[[when]]
reason = "Interpreter needed for a suspect"
suspect_may_be_victim = true
interpreter_needed = true
""",
    ),
}


def _text(template_id: str, route: str, parent: str | None, rules: str) -> str:
    parent_line = f'parent = "{parent}"\n' if parent else ""
    return (
        f'+++\nid = "{template_id}"\nroute = "{route}"\n{parent_line}title = "T {template_id}"\n'
        'version = "1"\nreviewed = 2026-11-29\nsources = ["s"]\nsample = true\n\n'
        f'[[checklist]]\nid = "one"\ntext = "One"\n{rules}+++\nBody\n'
    )


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Template, ...]:
    folder = tmp_path_factory.mktemp("routing")
    for template_id, (route, parent, rules) in TEMPLATES.items():
        (folder / f"{template_id}.md").write_text(_text(template_id, route, parent, rules), encoding="utf-8")
    result = loader.load_folder(folder)
    assert result.problems == ()
    return result.templates


V = Route.VICTIM
CASES: list[tuple[str, CallFacts, list[tuple[Route, str, tuple[str, ...]]]]] = [
    ("nothing known: victim only", CallFacts(), [(V, "victim", ("Possible victim",))]),
    (
        "crisis: tactical",
        CallFacts(urgency=Urgency.CRISIS),
        [(Route.TACTICAL, "tactical", ("Crisis or urgent",)), (V, "victim", ("Possible victim",))],
    ),
    (
        "urgent: tactical",
        CallFacts(urgency=Urgency.URGENT),
        [(Route.TACTICAL, "tactical", ("Crisis or urgent",)), (V, "victim", ("Possible victim",))],
    ),
    ("routine: no tactical", CallFacts(urgency=Urgency.ROUTINE), [(V, "victim", ("Possible victim",))]),
    (
        "information only: no tactical",
        CallFacts(urgency=Urgency.INFORMATION),
        [(V, "victim", ("Possible victim",))],
    ),
    (
        "victim at scene: tactical",
        CallFacts(victim_at_scene=True),
        [(Route.TACTICAL, "tactical", ("Victim at the scene",)), (V, "victim", ("Possible victim",))],
    ),
    (
        "crisis and at scene: both reasons, in rule order",
        CallFacts(urgency=Urgency.CRISIS, victim_at_scene=True),
        [
            (Route.TACTICAL, "tactical", ("Crisis or urgent", "Victim at the scene")),
            (V, "victim", ("Possible victim",)),
        ],
    ),
    (
        "non-UK national: immigration",
        CallFacts(nationality_known=True, non_uk_national=True),
        [(Route.IMMIGRATION, "immigration", ("Non-UK national",)), (V, "victim", ("Possible victim",))],
    ),
    (
        "UK national adult: no immigration",
        CallFacts(nationality_known=True, has_adult=True),
        [(V, "victim", ("Possible victim",))],
    ),
    (
        "adult, nationality unknown: immigration (all conditions of one rule)",
        CallFacts(has_adult=True),
        [(Route.IMMIGRATION, "immigration", ("Nationality not known",)), (V, "victim", ("Possible victim",))],
    ),
    ("nationality unknown, no adult: rule does not fire", CallFacts(), [(V, "victim", ("Possible victim",))]),
    (
        "child: child template beats its parent",
        CallFacts(has_child=True),
        [(V, "victim-child", ("A child or disputed age", "Possible victim"))],
    ),
    (
        "child in criminal exploitation: the grandchild wins",
        CallFacts(has_child=True, exploitation=frozenset({ExploitationType.CRIMINAL})),
        [
            (
                V,
                "victim-child-criminal",
                ("A child in criminal exploitation", "A child or disputed age", "Possible victim"),
            )
        ],
    ),
    (
        "child, county lines and criminal: every fired rule",
        CallFacts(has_child=True, county_lines=True, exploitation=frozenset({ExploitationType.CRIMINAL})),
        [
            (
                V,
                "victim-child-criminal",
                (
                    "A child in criminal exploitation",
                    "County lines",
                    "A child or disputed age",
                    "Possible victim",
                ),
            )
        ],
    ),
    (
        "county lines without a child: grandchild does not fire",
        CallFacts(county_lines=True),
        [(V, "victim", ("Possible victim",))],
    ),
    (
        "child in labour exploitation: the child template",
        CallFacts(has_child=True, exploitation=frozenset({ExploitationType.LABOUR})),
        [(V, "victim-child", ("A child or disputed age", "Possible victim"))],
    ),
    (
        "police caller, declines NRM: legal",
        CallFacts(agency=AgencyType.POLICE, nrm_consent=NrmConsent.DECLINES),
        [(V, "victim", ("Possible victim",)), (Route.LEGAL, "legal", ("Police or CPS asking",))],
    ),
    (
        "police caller, consents: no legal",
        CallFacts(agency=AgencyType.POLICE, nrm_consent=NrmConsent.CONSENTS),
        [(V, "victim", ("Possible victim",))],
    ),
    (
        "NGO caller declines: no legal",
        CallFacts(agency=AgencyType.NGO, nrm_consent=NrmConsent.DECLINES),
        [(V, "victim", ("Possible victim",))],
    ),
    (
        "no NRM consent recorded: nrm_consent_any never fires",
        CallFacts(agency=AgencyType.CPS),
        [(V, "victim", ("Possible victim",))],
    ),
    (
        "exploited overseas: legal",
        CallFacts(where=WhereExploited.OVERSEAS),
        [(V, "victim", ("Possible victim",)), (Route.LEGAL, "legal", ("Overseas exploitation",))],
    ),
    (
        "suspect may be a victim: the child legal template",
        CallFacts(suspect_may_be_victim=True),
        [
            (V, "victim", ("Possible victim",)),
            (Route.LEGAL, "legal-suspect-victim", ("A suspect who may be a victim",)),
        ],
    ),
    (
        "suspect may be a victim, exploited in UK and overseas: both legal reasons, child first",
        CallFacts(suspect_may_be_victim=True, where=WhereExploited.BOTH, interpreter_needed=True),
        [
            (V, "victim", ("Possible victim",)),
            (
                Route.LEGAL,
                "legal-suspect-victim",
                (
                    "A suspect who may be a victim",
                    "Interpreter needed for a suspect",
                    "Overseas exploitation",
                ),
            ),
        ],
    ),
    (
        "everything: all four routes in Route order",
        CallFacts(
            urgency=Urgency.CRISIS,
            has_child=True,
            nationality_known=True,
            non_uk_national=True,
            suspect_may_be_victim=True,
        ),
        [
            (Route.TACTICAL, "tactical", ("Crisis or urgent",)),
            (Route.IMMIGRATION, "immigration", ("Non-UK national",)),
            (V, "victim-child", ("A child or disputed age", "Possible victim")),
            (Route.LEGAL, "legal-suspect-victim", ("A suspect who may be a victim",)),
        ],
    ),
]


@pytest.mark.parametrize(("name", "facts", "expected"), CASES, ids=[c[0] for c in CASES])
def test_suggestions(
    templates: tuple[Template, ...],
    name: str,
    facts: CallFacts,
    expected: list[tuple[Route, str, tuple[str, ...]]],
) -> None:
    assert suggest_routes(facts, templates) == tuple(Suggestion(r, t, reasons) for r, t, reasons in expected)


def test_the_order_of_templates_does_not_matter(templates: tuple[Template, ...]) -> None:
    facts = CallFacts(has_child=True, urgency=Urgency.URGENT, suspect_may_be_victim=True)
    assert suggest_routes(facts, templates) == suggest_routes(facts, tuple(reversed(templates)))


def test_a_child_template_fires_without_its_parent(templates: tuple[Template, ...]) -> None:
    without_victim_parent_rule = [t for t in templates if t.id != "legal"]
    (suggestion,) = [
        s
        for s in suggest_routes(CallFacts(suspect_may_be_victim=True), without_victim_parent_rule)
        if s.route == Route.LEGAL
    ]
    assert suggestion.template_id == "legal-suspect-victim"


def test_no_templates_no_suggestions() -> None:
    assert suggest_routes(CallFacts(urgency=Urgency.CRISIS), ()) == ()


# --- facts of a call ---------------------------------------------------------------------------

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
BASE = CallData(caller=Caller(name="PC Ada", agency_type=AgencyType.POLICE), opened_at=NOW)
ADULT = PersonData(age_group=AgeGroup.ADULT)
CHILD = PersonData(age_group=AgeGroup.CHILD)
DISPUTED = PersonData(age_group=AgeGroup.ADULT, age_disputed=True)

FACT_CASES: list[tuple[str, CallData, dict[str, object]]] = [
    (
        "empty call",
        BASE,
        {"has_child": False, "has_adult": False, "nationality_known": False, "agency": AgencyType.POLICE},
    ),
    ("an adult", replace(BASE, persons=(ADULT,)), {"has_adult": True, "has_child": False}),
    ("a child", replace(BASE, persons=(CHILD,)), {"has_child": True, "has_adult": False}),
    (
        "disputed age counts as a child, not an adult",
        replace(BASE, persons=(DISPUTED,)),
        {"has_child": True, "age_disputed": True, "has_adult": False},
    ),
    ("unknown age group", replace(BASE, persons=(PersonData(),)), {"has_child": False, "has_adult": False}),
    (
        "British only",
        replace(BASE, persons=(replace(ADULT, nationalities=("GB",)),)),
        {"nationality_known": True, "non_uk_national": False},
    ),
    (
        "dual British-Albanian",
        replace(BASE, persons=(replace(ADULT, nationalities=("GB", "AL")),)),
        {"nationality_known": True, "non_uk_national": True},
    ),
    (
        "interpreter on any person",
        replace(BASE, persons=(ADULT, replace(CHILD, interpreter_needed=True))),
        {"interpreter_needed": True, "has_child": True, "has_adult": True},
    ),
    (
        "call-level flags and enums",
        replace(
            BASE,
            county_lines=True,
            suspect_may_be_victim=True,
            victim_at_scene=True,
            urgency=Urgency.CRISIS,
            where_exploited=WhereExploited.BOTH,
            nrm_consent=NrmConsent.DECLINES,
            exploitation_types=frozenset({ExploitationType.SEXUAL}),
        ),
        {
            "county_lines": True,
            "suspect_may_be_victim": True,
            "victim_at_scene": True,
            "urgency": Urgency.CRISIS,
            "where": WhereExploited.BOTH,
            "nrm_consent": NrmConsent.DECLINES,
            "exploitation": frozenset({ExploitationType.SEXUAL}),
        },
    ),
]


@pytest.mark.parametrize(("name", "data", "expected"), FACT_CASES, ids=[c[0] for c in FACT_CASES])
def test_facts_from_call(name: str, data: CallData, expected: dict[str, object]) -> None:
    facts = facts_from_call(data)
    assert {key: getattr(facts, key) for key in expected} == expected


def test_a_call_routes_end_to_end(templates: tuple[Template, ...]) -> None:
    data = replace(
        BASE, persons=(replace(CHILD, nationalities=("VN",)),), county_lines=True, victim_at_scene=True
    )
    routes = [(s.route, s.template_id) for s in suggest_routes(facts_from_call(data), templates)]
    assert routes == [
        (Route.TACTICAL, "tactical"),
        (Route.IMMIGRATION, "immigration"),
        (Route.VICTIM, "victim-child-criminal"),  # county lines and a child
    ]
