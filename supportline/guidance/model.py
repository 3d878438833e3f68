"""The guidance template: one Markdown file with TOML front matter (see docs/guidance-format.md).

A :class:`Template` is immutable and carries its whole file (``text``) and that text's SHA-256
(``content_hash``): the hash is what a call records, so advice can always be shown exactly as it
was given, whatever the template says today.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Final

from supportline.enums import AgencyType, ExploitationType, NrmConsent, Route, Urgency, WhereExploited

#: Boolean facts about a call a ``[[when]]`` rule may test (``has_child = true``).
BOOLEAN_FACTS: Final[tuple[str, ...]] = (
    "has_child",
    "age_disputed",
    "has_adult",
    "nationality_known",
    "non_uk_national",
    "county_lines",
    "suspect_may_be_victim",
    "victim_at_scene",
    "interpreter_needed",
    "always",
)

#: Set facts a rule may test with a list of enumeration values (``urgency_any = ["crisis"]``).
SET_FACTS: Final[dict[str, type[StrEnum]]] = {
    "exploitation_any": ExploitationType,
    "urgency_any": Urgency,
    "where_any": WhereExploited,
    "agency_any": AgencyType,
    "nrm_consent_any": NrmConsent,
}


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: str
    required: bool = False


@dataclass(frozen=True)
class Condition:
    """One condition of a rule: ``fact`` is the key as written (``has_child``, ``urgency_any``);
    ``value`` is a boolean for a boolean fact, the set of enumeration values for a set fact."""

    fact: str
    value: bool | frozenset[str]


@dataclass(frozen=True)
class Rule:
    """A ``[[when]]`` rule: it fires when every one of its conditions holds."""

    reason: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Template:
    id: str
    route: Route
    title: str
    version: str
    reviewed: date
    sources: tuple[str, ...]
    sample: bool
    parent: str | None
    checklist: tuple[ChecklistItem, ...]
    rules: tuple[Rule, ...]
    body: str
    path: Path
    text: str
    content_hash: str

    @property
    def required_items(self) -> tuple[ChecklistItem, ...]:
        return tuple(item for item in self.checklist if item.required)


def content_hash(text: str) -> str:
    """SHA-256 (hex) of a template file's text, UTF-8 encoded."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
