"""Fixed lists people pick from: police forces, nationalities, languages."""

from __future__ import annotations

from functools import cache

import pycountry

#: The 43 territorial police forces of England and Wales.
TERRITORIAL_FORCES_ENGLAND_WALES: tuple[str, ...] = (
    "Avon and Somerset Constabulary",
    "Bedfordshire Police",
    "Cambridgeshire Constabulary",
    "Cheshire Constabulary",
    "City of London Police",
    "Cleveland Police",
    "Cumbria Constabulary",
    "Derbyshire Constabulary",
    "Devon and Cornwall Police",
    "Dorset Police",
    "Durham Constabulary",
    "Dyfed-Powys Police",
    "Essex Police",
    "Gloucestershire Constabulary",
    "Greater Manchester Police",
    "Gwent Police",
    "Hampshire and Isle of Wight Constabulary",
    "Hertfordshire Constabulary",
    "Humberside Police",
    "Kent Police",
    "Lancashire Constabulary",
    "Leicestershire Police",
    "Lincolnshire Police",
    "Merseyside Police",
    "Metropolitan Police Service",
    "Norfolk Constabulary",
    "North Wales Police",
    "North Yorkshire Police",
    "Northamptonshire Police",
    "Northumbria Police",
    "Nottinghamshire Police",
    "South Wales Police",
    "South Yorkshire Police",
    "Staffordshire Police",
    "Suffolk Constabulary",
    "Surrey Police",
    "Sussex Police",
    "Thames Valley Police",
    "Warwickshire Police",
    "West Mercia Police",
    "West Midlands Police",
    "West Yorkshire Police",
    "Wiltshire Police",
)

OTHER_POLICE_FORCES: tuple[str, ...] = (
    "British Transport Police",
    "Police Scotland",
    "Police Service of Northern Ireland",
)

POLICE_FORCES: tuple[str, ...] = TERRITORIAL_FORCES_ENGLAND_WALES + OTHER_POLICE_FORCES

#: Other organisations that call the line (a completer's suggestions, not a closed list).
OTHER_ORGANISATIONS: tuple[str, ...] = (
    "Border Force",
    "Immigration Enforcement",
    "UK Visas and Immigration",
    "National Crime Agency",
    "Crown Prosecution Service",
    "Gangmasters and Labour Abuse Authority",
    "HM Revenue and Customs",
    "NHS",
    "The Salvation Army",
    "Migrant Help",
    "Barnardo's",
    "NSPCC",
    "Unseen",
    "TARA (Trafficking Awareness Raising Alliance)",
)


@cache
def nationality_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, plus XX for stateless/unknown (as ICAO uses)."""
    return frozenset({c.alpha_2 for c in pycountry.countries} | {"XX"})


@cache
def country_name(code: str) -> str:
    if code == "XX":
        return "Stateless or unknown"
    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "common_name", None) or country.name) if country else code


@cache
def language_codes() -> frozenset[str]:
    """ISO 639-3 codes of living languages and macrolanguages (e.g. 'eng', 'ron', 'vie', 'tir')."""
    return frozenset(
        lang.alpha_3
        for lang in pycountry.languages
        if getattr(lang, "scope", "I") in {"I", "M"} and getattr(lang, "type", "L") == "L"
    )


@cache
def language_name(code: str) -> str:
    lang = pycountry.languages.get(alpha_3=code)
    return str(lang.name) if lang else code
