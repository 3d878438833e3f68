"""Word lists and weights for the demo data generator (``supportline.services.demo``).

Everything here is invented or generic: common first names and surnames from many backgrounds
(combined at random, so no real person is meant), organisation *types* and places, and sentences
that describe no real case. Weights are rough, plausible shares for a UK advice line (after the
Home Office NRM statistics and Unseen's helpline reports), not published figures.
"""

from __future__ import annotations

from supportline.enums import (
    AgencyType,
    Channel,
    ConsentLevel,
    ExploitationType,
    Indicator,
    Outcome,
    ReferralTarget,
    Route,
    Urgency,
    WhereExploited,
)

Weighted = tuple[tuple[str, float], ...]

# --- names: (female first names, male first names, surnames) per background ------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "british": (
        _words(
            "Emma Sophie Charlotte Hannah Rebecca Laura Claire Gemma Rachel Lucy Katie Amy Zoe Megan Jodie "
            "Natalie Joanne Sian Rhiannon Eilidh Niamh Siobhan Fiona Kirsty Helen Sarah Louise Ellie"
        ),
        _words(
            "James Daniel Thomas Matthew Christopher Mark Paul Andrew Stuart Craig Gareth Rhys Owen Callum "
            "Ewan Jamie Lewis Ryan Liam Connor Sean Ciaran Darren Lee Neil Ben Joe Harry"
        ),
        _words(
            "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker "
            "White Roberts Green Hall Wood Jackson Clarke Hughes Edwards Turner Harris Morgan Price Campbell "
            "Stewart Murray Kelly Murphy Byrne Doyle Fraser Reid Patterson Booth Marsh Lloyd Parry Shaw "
            "Mills "
            "Bennett Cooper Ward Fletcher"
        ),
    ),
    "caribbean": (
        _words("Shanice Tanisha Chantelle Keisha Simone Jasmine Aaliyah Monique"),
        _words("Marcus Jerome Andre Tyrone Dwayne Nathaniel Kieran Jordan"),
        _words("Campbell Francis Henry Grant Thomas Bailey Clarke Samuels Morris Richards Gordon Forbes"),
    ),
    "south_asian": (
        _words(
            "Priya Aisha Fatima Sana Nadia Anjali Ayesha Zainab Harpreet Simran Meera Noor Shabnam Rupinder "
            "Nimali Tharushi"
        ),
        _words(
            "Mohammed Amir Imran Arjun Rajesh Sanjay Hassan Bilal Tariq Vikram Gurpreet Kamran Adnan Rohan "
            "Kasun Nuwan"
        ),
        _words(
            "Khan Ahmed Patel Hussain Ali Shah Begum Singh Kaur Sharma Iqbal Rahman Chowdhury Mahmood Akhtar "
            "Gill Sandhu Mistry Desai Rashid"
        ),
    ),
    "west_african": (
        _words("Adaeze Chiamaka Folake Abimbola Ngozi Funmilayo Ama Akosua Blessing Precious Aminata Fatou"),
        _words("Chinedu Oluwaseun Emeka Tunde Kwame Kofi Femi Ikenna Yaw Samuel Ibrahima Moussa"),
        _words(
            "Okafor Adeyemi Okonkwo Balogun Mensah Asante Owusu Adebayo Eze Nwosu Boateng Diallo Ogunleye "
            "Danso Bangura"
        ),
    ),
    "east_african": (
        _words("Helen Selam Hiwot Senait Amal Hodan Faduma Saba Mekdes Nasra"),
        _words("Yonas Dawit Tesfaye Abdi Mohamed Mahad Kidane Samson Filmon Osman"),
        _words("Tesfay Haile Abraha Mohamud Warsame Yusuf Bekele Tekle Farah Idris Adam Ali"),
    ),
    "albanian": (
        _words("Elira Arta Blerina Drita Klea Mirela Besa Erjona"),
        _words("Arben Besnik Dritan Ermal Gentian Klodian Artan Ilir Erion Fatjon"),
        _words("Hoxha Shehu Krasniqi Berisha Gashi Leka Dervishi Kola Marku Hysa"),
    ),
    "east_european": (
        _words(
            "Ana Ioana Elena Andreea Katarzyna Agnieszka Magdalena Ewa Irina Daniela Gabriela Ieva Rasa "
            "Kristina Marija Olena"
        ),
        _words(
            "Andrei Ion Mihai Gheorghe Piotr Tomasz Krzysztof Marek Pavel Jonas Tomas Dimitar Georgi Stefan "
            "Vasile Oleksandr"
        ),
        _words(
            "Popescu Ionescu Dumitru Stan Constantin Nowak Kowalski Kaminski Lewandowski Kazlauskas "
            "Petrauskas Ivanov Petrov Georgiev Horvath Nagy Kovacs Dvorak Balan Bondarenko"
        ),
    ),
    "vietnamese": (
        _words("Linh Huong Lan Mai Thao Trang Ngoc Hoa"),
        _words("Minh Tuan Duc Hung Long Nam Quang Thanh"),
        _words("Nguyen Tran Le Pham Hoang Vu Dang Bui Do Ngo"),
    ),
    "chinese": (
        _words("Mei Xiu Jing Yan Hui Ying Fang"),
        _words("Wei Jun Hao Lei Ming Jian Bo"),
        _words("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Lin"),
    ),
    "middle_eastern": (
        _words("Layla Mariam Rania Yasmin Huda Zahra Shirin Parisa Roya Nour"),
        _words("Omar Yusuf Karim Ahmad Mustafa Ali Reza Dara Hamid Sardar"),
        _words("Haddad Khalil Mansour Nasser Rostami Karimi Ahmadi Hamdan Rahimi Saleh"),
    ),
    "south_east_asian": (
        _words("Maria Rosalie Jocelyn Lorna Cristina Siti Dewi Malee Ploy"),
        _words("Jose Ramon Rodel Budi Agus Somchai Anan"),
        _words("Santos Reyes Cruz Bautista Garcia Mendoza Ramos Aquino"),
    ),
    "latin_american": (
        _words("Juliana Camila Fernanda Larissa Beatriz"),
        _words("Lucas Rafael Thiago Gustavo Diego Mateus"),
        _words("Silva Souza Oliveira Pereira Costa Rodrigues Almeida Ferreira"),
    ),
}

#: Backgrounds of callers (UK professionals).
CALLER_BACKGROUNDS: Weighted = (
    ("british", 70), ("south_asian", 10), ("caribbean", 5), ("west_african", 5), ("east_european", 4),
    ("chinese", 2), ("middle_eastern", 2), ("east_african", 1.5), ("latin_american", 0.5),
)  # fmt: skip

#: Backgrounds of British potential victims.
GB_BACKGROUNDS: Weighted = (
    ("british", 74), ("caribbean", 8), ("south_asian", 8), ("west_african", 5), ("east_european", 5),
)  # fmt: skip

# --- nationalities (ISO 3166-1 alpha-2): background and languages (ISO 639-3, main first) --------

NATIONALITIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "GB": ("british", ("eng",)),
    "AL": ("albanian", ("sqi",)),
    "VN": ("vietnamese", ("vie",)),
    "ER": ("east_african", ("tir", "ara")),
    "SD": ("east_african", ("ara",)),
    "ET": ("east_african", ("amh", "tir")),
    "SO": ("east_african", ("som",)),
    "UG": ("east_african", ("lug", "eng")),
    "KE": ("east_african", ("swa", "eng")),
    "RO": ("east_european", ("ron", "rom")),
    "PL": ("east_european", ("pol",)),
    "LT": ("east_european", ("lit", "rus")),
    "LV": ("east_european", ("lav", "rus")),
    "BG": ("east_european", ("bul", "rom")),
    "HU": ("east_european", ("hun", "rom")),
    "CZ": ("east_european", ("ces", "rom")),
    "SK": ("east_european", ("slk", "rom")),
    "UA": ("east_european", ("ukr", "rus")),
    "MD": ("east_european", ("ron", "rus")),
    "IN": ("south_asian", ("hin", "pan", "guj", "mal", "tam")),
    "PK": ("south_asian", ("urd", "pan")),
    "BD": ("south_asian", ("ben",)),
    "LK": ("south_asian", ("sin", "tam")),
    "NG": ("west_african", ("eng", "yor", "igb", "hau")),
    "GH": ("west_african", ("eng", "twi")),
    "CN": ("chinese", ("cmn", "yue")),
    "PH": ("south_east_asian", ("tgl", "eng")),
    "ID": ("south_east_asian", ("ind",)),
    "TH": ("south_east_asian", ("tha",)),
    "BR": ("latin_american", ("por",)),
    "SY": ("middle_eastern", ("ara", "kmr")),
    "IQ": ("middle_eastern", ("ckb", "ara")),
    "IR": ("middle_eastern", ("fas",)),
    "AF": ("middle_eastern", ("pus", "prs")),
    "EG": ("middle_eastern", ("ara",)),
}

#: Main nationality of potential victims, by the call's main exploitation type.
NATIONALITY_MIX: dict[str, Weighted] = {
    "county_lines": (("GB", 88), ("VN", 3), ("AL", 3), ("RO", 2), ("ER", 1), ("SD", 1), ("IQ", 1), ("PL", 1)),
    "criminal": (
        ("GB", 45), ("VN", 14), ("AL", 10), ("RO", 8), ("ER", 3), ("SD", 3), ("CN", 3), ("IQ", 2),
        ("AF", 2), ("PL", 2), ("LT", 2), ("SO", 2), ("BG", 2),
    ),
    "labour": (
        ("RO", 11), ("AL", 9), ("VN", 9), ("IN", 10), ("GB", 10), ("PL", 5), ("BG", 5), ("LT", 3),
        ("CN", 4), ("PK", 3), ("BD", 3), ("PH", 4), ("NG", 2), ("ER", 3), ("SD", 3), ("UA", 2), ("HU", 2),
        ("CZ", 2), ("SK", 2), ("LV", 1), ("ID", 2), ("LK", 2), ("GH", 1),
    ),
    "sexual": (
        ("GB", 30), ("RO", 14), ("AL", 10), ("NG", 7), ("VN", 5), ("CN", 5), ("HU", 3), ("TH", 3),
        ("BR", 3), ("PL", 2), ("BG", 2), ("UG", 2), ("ER", 2), ("SK", 2), ("CZ", 2), ("MD", 2), ("UA", 2),
        ("GH", 1),
    ),
    "domestic_servitude": (
        ("PH", 16), ("IN", 12), ("NG", 12), ("PK", 8), ("GB", 7), ("ID", 6), ("LK", 6), ("ET", 6),
        ("UG", 5), ("KE", 5), ("BD", 4), ("GH", 4), ("ER", 3), ("SO", 3), ("EG", 3),
    ),
    "other": (
        ("GB", 20), ("AL", 10), ("VN", 8), ("ER", 6), ("SD", 6), ("RO", 6), ("IN", 5), ("NG", 5),
        ("CN", 4), ("IR", 4), ("IQ", 4), ("AF", 4), ("PL", 3), ("EG", 3), ("SY", 3), ("PK", 3),
    ),
}  # fmt: skip

# --- callers -----------------------------------------------------------------------------------

AGENCIES: tuple[tuple[AgencyType, float], ...] = (
    (AgencyType.POLICE, 58), (AgencyType.IMMIGRATION, 10), (AgencyType.NGO, 8),
    (AgencyType.CHILDRENS_SERVICES, 6), (AgencyType.ADULT_SERVICES, 3), (AgencyType.NATIONAL_AGENCY, 3),
    (AgencyType.NHS, 2.5), (AgencyType.GLAA, 2), (AgencyType.PUBLIC, 2), (AgencyType.BUSINESS, 1.5),
    (AgencyType.CPS, 1.5), (AgencyType.HMRC, 1), (AgencyType.POTENTIAL_VICTIM, 0.7),
    (AgencyType.OTHER, 0.8),
)  # fmt: skip

#: Relative weights of police forces (roughly their size); forces not listed weigh DEFAULT_FORCE_WEIGHT.
FORCE_WEIGHTS: dict[str, float] = {
    "Metropolitan Police Service": 22,
    "West Midlands Police": 7,
    "Greater Manchester Police": 7,
    "West Yorkshire Police": 5.5,
    "Thames Valley Police": 4.2,
    "Merseyside Police": 3.8,
    "Kent Police": 3.6,
    "Essex Police": 3.4,
    "Northumbria Police": 3.3,
    "Hampshire and Isle of Wight Constabulary": 3.2,
    "Avon and Somerset Constabulary": 3.0,
    "Devon and Cornwall Police": 3.0,
    "Lancashire Constabulary": 3.0,
    "South Yorkshire Police": 2.8,
    "Sussex Police": 2.7,
    "British Transport Police": 2.5,
    "Police Scotland": 1.2,
    "Police Service of Northern Ireland": 0.8,
    "City of London Police": 0.6,
}
DEFAULT_FORCE_WEIGHT = 1.6

#: Local authorities (for children's and adult services, the NHS) and the force that covers them.
LOCAL_AREAS: tuple[tuple[str, str], ...] = (
    ("Birmingham", "West Midlands Police"), ("Coventry", "West Midlands Police"),
    ("Manchester", "Greater Manchester Police"), ("Oldham", "Greater Manchester Police"),
    ("Leeds", "West Yorkshire Police"), ("Bradford", "West Yorkshire Police"),
    ("Newham", "Metropolitan Police Service"), ("Croydon", "Metropolitan Police Service"),
    ("Tower Hamlets", "Metropolitan Police Service"), ("Ealing", "Metropolitan Police Service"),
    ("Kent", "Kent Police"), ("Essex", "Essex Police"), ("Lancashire", "Lancashire Constabulary"),
    ("Hampshire", "Hampshire and Isle of Wight Constabulary"), ("Bristol", "Avon and Somerset Constabulary"),
    ("Sheffield", "South Yorkshire Police"), ("Liverpool", "Merseyside Police"),
    ("Newcastle", "Northumbria Police"), ("Nottingham", "Nottinghamshire Police"),
    ("Cardiff", "South Wales Police"), ("Leicester", "Leicestershire Police"),
    ("Hull", "Humberside Police"), ("Norfolk", "Norfolk Constabulary"),
    ("Lincolnshire", "Lincolnshire Police"),
    ("Reading", "Thames Valley Police"), ("Milton Keynes", "Thames Valley Police"),
    ("Glasgow", "Police Scotland"),
)  # fmt: skip

POLICE_RANKS: Weighted = (
    ("PC", 30), ("DC", 28), ("DS", 16), ("Sgt", 9), ("DI", 7), ("Insp", 4), ("DCI", 2.5), ("PCSO", 2),
    ("Ch Insp", 0.8), ("Supt", 0.5), ("Civilian investigator", 0.7),
)  # fmt: skip

#: Per agency: (organisations, job titles). Police forces come from FORCE_WEIGHTS instead.
ORGANISATIONS: dict[AgencyType, tuple[tuple[str, ...], tuple[str, ...]]] = {
    AgencyType.IMMIGRATION: (
        ("Immigration Enforcement", "Border Force", "UK Visas and Immigration"),
        ("Immigration Officer", "Chief Immigration Officer", "Border Force Officer", "Higher Officer"),
    ),
    AgencyType.NATIONAL_AGENCY: (
        ("National Crime Agency",),
        ("NCA Officer", "Intelligence Officer", "Senior Investigating Officer"),
    ),
    AgencyType.CPS: (("Crown Prosecution Service",), ("Crown Prosecutor", "Senior Crown Prosecutor")),
    AgencyType.CHILDRENS_SERVICES: (
        ("{area} children's services",),
        ("Social worker", "Team manager", "Duty social worker", "Missing and exploited children lead"),
    ),
    AgencyType.ADULT_SERVICES: (
        ("{area} adult social care",),
        ("Social worker", "Safeguarding adults lead", "Duty social worker"),
    ),
    AgencyType.GLAA: (
        ("Gangmasters and Labour Abuse Authority",),
        ("Labour Abuse Prevention Officer", "GLAA Investigator"),
    ),
    AgencyType.HMRC: (
        ("HM Revenue and Customs",), ("National Minimum Wage compliance officer", "Investigator"),
    ),
    AgencyType.NHS: (
        ("{area} NHS trust", "{area} GP practice", "{area} sexual health clinic"),
        ("Safeguarding nurse", "Emergency department nurse", "GP", "Midwife", "Safeguarding lead"),
    ),
    AgencyType.NGO: (
        ("The Salvation Army", "Migrant Help", "Barnardo's", "NSPCC", "Unseen", "TARA", "Hope for Justice",
         "local refugee support charity", "local homelessness charity"),
        ("Support worker", "Caseworker", "Outreach worker", "First responder", "Project manager"),
    ),
    AgencyType.BUSINESS: (
        ("supermarket distribution centre", "recruitment agency", "hotel group", "logistics company",
         "bank financial crime team", "construction firm"),
        ("Store manager", "HR manager", "Compliance officer", "Site manager", "Security manager"),
    ),
    AgencyType.PUBLIC: (("",), ("",)),
    AgencyType.POTENTIAL_VICTIM: (("",), ("",)),
    AgencyType.OTHER: (
        ("{area} council trading standards", "{area} council housing team", "probation service", "a school"),
        ("Officer", "Housing officer", "Probation officer", "Designated safeguarding lead"),
    ),
}  # fmt: skip

EMAIL_DOMAINS: tuple[str, ...] = ("example.org", "example.com", "example.net")

# --- the facts of a call -------------------------------------------------------------------------

URGENCIES: tuple[tuple[Urgency, float], ...] = (
    (Urgency.CRISIS, 6), (Urgency.URGENT, 24), (Urgency.ROUTINE, 45), (Urgency.INFORMATION, 25),
)  # fmt: skip

#: The main exploitation type of a call that is about a situation (not a general question).
EXPLOITATION: tuple[tuple[ExploitationType, float], ...] = (
    (ExploitationType.CRIMINAL, 33), (ExploitationType.LABOUR, 30), (ExploitationType.SEXUAL, 22),
    (ExploitationType.DOMESTIC_SERVITUDE, 6), (ExploitationType.UNKNOWN, 6),
    (ExploitationType.FINANCIAL, 1.5), (ExploitationType.ORGAN_HARVESTING, 0.3),
    (ExploitationType.FORCED_SURROGACY, 0.2), (ExploitationType.ILLEGAL_ADOPTION, 0.2),
)  # fmt: skip

#: Usual companions of a main type (a second type on the same call).
SECOND_TYPE: dict[ExploitationType, tuple[ExploitationType, ...]] = {
    ExploitationType.CRIMINAL: (ExploitationType.SEXUAL, ExploitationType.LABOUR),
    ExploitationType.LABOUR: (ExploitationType.CRIMINAL, ExploitationType.FINANCIAL, ExploitationType.SEXUAL),
    ExploitationType.SEXUAL: (ExploitationType.CRIMINAL, ExploitationType.DOMESTIC_SERVITUDE),
    ExploitationType.DOMESTIC_SERVITUDE: (ExploitationType.SEXUAL, ExploitationType.LABOUR),
}

#: Share of children among the potential victims, by main type ("county_lines" for the flag).
CHILD_SHARE: dict[str, float] = {
    "county_lines": 0.78, "criminal": 0.45, "sexual": 0.38, "labour": 0.07, "domestic_servitude": 0.15,
}  # fmt: skip
DEFAULT_CHILD_SHARE = 0.15

#: Share of females, by main type.
FEMALE_SHARE: dict[str, float] = {
    "county_lines": 0.12, "criminal": 0.2, "sexual": 0.85, "labour": 0.25, "domestic_servitude": 0.78,
}  # fmt: skip
DEFAULT_FEMALE_SHARE = 0.45

#: Indicators typical of each main type (a call gets some of these, and now and then another one).
INDICATORS: dict[str, tuple[Indicator, ...]] = {
    "labour": (
        Indicator.WITHHOLDING_OF_WAGES, Indicator.DEBT_BONDAGE, Indicator.EXCESSIVE_OVERTIME,
        Indicator.ABUSIVE_CONDITIONS, Indicator.RETENTION_OF_DOCUMENTS, Indicator.DECEPTION,
    ),
    "sexual": (
        Indicator.PHYSICAL_SEXUAL_VIOLENCE, Indicator.RESTRICTION_OF_MOVEMENT, Indicator.INTIMIDATION_THREATS,
        Indicator.DEBT_BONDAGE, Indicator.DECEPTION, Indicator.ISOLATION,
    ),
    "criminal": (
        Indicator.INTIMIDATION_THREATS, Indicator.ABUSE_OF_VULNERABILITY, Indicator.PHYSICAL_SEXUAL_VIOLENCE,
        Indicator.DEBT_BONDAGE, Indicator.ISOLATION,
    ),
    "domestic_servitude": (
        Indicator.ISOLATION, Indicator.RESTRICTION_OF_MOVEMENT, Indicator.RETENTION_OF_DOCUMENTS,
        Indicator.WITHHOLDING_OF_WAGES, Indicator.EXCESSIVE_OVERTIME, Indicator.ABUSE_OF_VULNERABILITY,
    ),
    "other": (Indicator.DECEPTION, Indicator.ABUSE_OF_VULNERABILITY, Indicator.INTIMIDATION_THREATS),
}  # fmt: skip

# --- words for summaries and narratives ----------------------------------------------------------

PLACES: dict[str, tuple[str, ...]] = {
    "labour": (
        "a hand car wash", "a nail bar", "a farm", "a food processing factory", "a construction site",
        "a warehouse", "a restaurant kitchen", "a recycling yard", "a care home", "a fishing boat",
        "a garment workshop", "a block-paving crew", "a takeaway",
    ),
    "sexual": (
        "a residential flat used as a brothel", "a hotel", "a massage parlour", "a short-let flat",
        "an address advertised online", "a private house",
    ),
    "criminal": (
        "a cannabis grow in a rented house", "a shoplifting group", "a street-begging group",
        "a cash machine fraud", "a stolen-goods operation",
    ),
    "county_lines": (
        "a trap house", "a railway station", "a cuckooed flat", "a budget hotel", "a coach station",
    ),
    "domestic_servitude": ("a private household", "a family home", "a large detached house"),
    "other": ("an address", "a workplace", "a port", "an airport", "a hospital", "a shared house"),
}  # fmt: skip

TYPE_PHRASES: dict[str, str] = {
    "sexual": "sexual exploitation",
    "labour": "labour exploitation",
    "criminal": "criminal exploitation",
    "county_lines": "county lines exploitation",
    "domestic_servitude": "domestic servitude",
    "organ_harvesting": "suspected organ harvesting",
    "financial": "financial exploitation",
    "forced_surrogacy": "suspected forced surrogacy",
    "illegal_adoption": "suspected illegal adoption",
    "unknown": "possible exploitation, type unclear",
}

SUMMARIES: tuple[str, ...] = (
    "{Type} suspected at {place}: {who}",
    "{Who} found at {place}; indicators of {type}",
    "Advice on {type} at {place}: {who}",
    "{Type}: {who}, {place}",
    "Possible {type} reported at {place}: {who}",
)

FOLLOW_UP_SUMMARIES: tuple[str, ...] = (
    "Update on earlier call: {type} at {place}",
    "Caller back with more information: {type}, {place}",
    "Follow-up: {type} at {place}, {who}",
)

INFORMATION_TOPICS: tuple[str, ...] = (
    "how an adult NRM referral works and who can make it",
    "when the duty to notify applies",
    "the s.45 defence for a suspect who may be a victim",
    "the recovery period and immigration status",
    "independent child trafficking guardians in the area",
    "what counts as forced labour",
    "support after a negative reasonable grounds decision",
    "how to submit intelligence about a suspected exploiter",
    "which offence applies to events before July 2015",
    "interpreters for a first account",
)

NOT_MODERN_SLAVERY: tuple[str, ...] = (
    "an employment dispute without coercion",
    "people smuggling with no sign of exploitation",
    "a missing person with no trafficking indicators",
    "a landlord and tenant dispute",
    "a visa overstayer working voluntarily",
)

SITUATIONS: dict[str, tuple[str, ...]] = {
    "labour": (
        "Workers say they are paid far less than promised, with deductions for rent and transport.",
        "Several people appear to live on site; one said the supervisor keeps their passports.",
        "Shifts of fourteen hours or more, seven days a week, were described.",
        "A worker said a debt for travel to the UK keeps growing however long they work.",
    ),
    "sexual": (
        "Adverts for the address change the names and photos every few days.",
        "A woman at the address said she cannot leave without a driver.",
        "Neighbours report men arriving at all hours and the windows kept covered.",
        "The person was moved between addresses in several towns over a few weeks.",
    ),
    "criminal": (
        "The young person was found with cash and several phones and would not give an address.",
        "The person said they owe money for their journey and must work to repay it.",
        "Officers found people sleeping at the address among the plants, doors locked from outside.",
        "A group is brought to the town centre each morning and collected in the evening.",
    ),
    "county_lines": (
        "The child was found far from home with drugs wrapped for sale and a line phone.",
        "The child has been reported missing several times and has unexplained injuries.",
        "A vulnerable adult's flat is being used by a line; the tenant seems afraid.",
        "The young person says they owe a debt after being robbed of the drugs they carried.",
    ),
    "domestic_servitude": (
        "The person works from early morning to late at night caring for the family and the house.",
        "The person is not allowed out alone and has no phone of their own.",
        "The person came on a domestic worker visa and has not been paid for months.",
    ),
    "other": (
        "Details are unclear and the caller is gathering more information.",
        "The caller found the situation concerning but could not speak to the person alone.",
        "The person gave an account that changed between conversations.",
    ),
}  # fmt: skip

#: Advice lines per route, each with the fact it needs ("" for any call): see demo._Generator.advice.
ROUTE_ADVICE: dict[Route, tuple[tuple[str, str], ...]] = {
    Route.TACTICAL: (
        ("", "Safeguard first; speak to each person alone, with an independent interpreter (never family)."),
        ("", "Secure the scene and any identity documents; check for other victims at the address."),
        ("", "Plan the operation with partner agencies and a reception centre; record first accounts early."),
        ("", "Consider financial enquiries and an early intelligence submission."),
    ),
    Route.IMMIGRATION: (
        ("foreign", "Nationality and status established where possible; the competent authority decides."),
        ("foreign", "No removal during the recovery period; explained how detention and asylum interact."),
        ("disputed", "Age disputed: treat as a child until an assessment says otherwise."),
        ("foreign", "Discussed the risk of re-trafficking on return."),
    ),
    Route.VICTIM: (
        ("child", "Child: children's services and police informed; NRM referral needs no consent."),
        ("adult", "Explained informed consent to an NRM referral; duty to notify if the adult declines."),
        ("", "Urgent needs covered: safe accommodation, health care, interpreter, legal advice."),
        ("", "Explained the decision stages and likely timescales to pass on to the person."),
    ),
    Route.LEGAL: (
        ("", "Likely offence: Modern Slavery Act 2015 s.2 (trafficking); early CPS advice suggested."),
        ("suspect", "Suspect may be a victim: consider the s.45 defence and CPS non-prosecution guidance."),
        ("adult", "Explained the s.52 duty to notify and what the report must contain."),
        ("child", "Action, means and purpose discussed; no means need be shown for a child."),
    ),
}  # fmt: skip

ROUTE_REASONS: dict[str, str] = {
    "crisis": "immediate risk reported",
    "police": "police action being planned",
    "scene": "potential victims present at a known location",
    "foreign": "foreign national: immigration status to check",
    "disputed": "age disputed",
    "child": "a child is involved",
    "victim": "potential victim needs support",
    "suspect": "the person may be both suspect and victim",
    "cps": "prosecution advice requested",
    "law": "which offence applies",
}

CLOSINGS_INFORMATION: tuple[str, ...] = (
    "Caller satisfied with the advice.",
    "Guidance reference sent to the caller by secure email.",
    "Caller will call back if a case comes up.",
)

CLOSINGS: tuple[str, ...] = (
    "Caller will update the line after speaking to the person again.",
    "Caller satisfied with the advice.",
    "Caller to discuss with their supervisor and call back if needed.",
    "Advice summary sent to the caller by secure email.",
    "Caller will make the referrals today.",
)

PERSON_NOTES: tuple[str, ...] = (
    "Says their passport is held by the person who arranged the work.",
    "Appears frightened of the people who brought them here.",
    "Has injuries they would not explain.",
    "Does not know the address where they were kept.",
    "Wants to go home but fears what will happen to their family.",
    "Was promised a job in a restaurant.",
)

COUNT_WORDS: tuple[str, ...] = ("no", "one", "two", "three", "four")

#: Local-time hour of day (0-23) → relative share of calls: busy in office hours, never silent at night.
HOUR_WEIGHTS: tuple[float, ...] = (
    2.0, 1.5, 1.2, 1.0, 1.0, 1.2, 2.0, 3.5, 5.5, 7.0, 8.0, 8.0,
    7.0, 7.5, 8.0, 7.5, 7.0, 6.0, 5.0, 4.5, 4.0, 3.5, 3.0, 2.5,
)  # fmt: skip
#: Monday … Sunday.
WEEKDAY_WEIGHTS: tuple[float, ...] = (1.05, 1.05, 1.0, 1.0, 0.95, 0.7, 0.6)

# --- the rest of a call ----------------------------------------------------------------------------

CHANNELS: tuple[tuple[Channel, float], ...] = (
    (Channel.PHONE, 88), (Channel.EMAIL, 6), (Channel.SECURE_MESSAGE, 5), (Channel.IN_PERSON, 1),
)  # fmt: skip
CONSENT: tuple[tuple[ConsentLevel, float], ...] = (
    (ConsentLevel.SHARE, 86), (ConsentLevel.CONFIDENTIAL, 13), (ConsentLevel.ANONYMOUS, 1),
)  # fmt: skip
#: Consent levels when a member of the public or a potential victim calls.
CONSENT_PRIVATE_CALLER: tuple[tuple[ConsentLevel, float], ...] = (
    (ConsentLevel.SHARE, 30), (ConsentLevel.CONFIDENTIAL, 30), (ConsentLevel.ANONYMOUS, 40),
)  # fmt: skip
WHERE_EXPLOITED: tuple[tuple[WhereExploited, float], ...] = (
    (WhereExploited.UK, 70), (WhereExploited.BOTH, 15), (WhereExploited.OVERSEAS, 8),
    (WhereExploited.UNKNOWN, 7),
)  # fmt: skip
#: How many potential victims a call about a situation records.
PERSON_COUNTS: tuple[tuple[int, float], ...] = ((0, 14), (1, 55), (2, 18), (3, 8), (4, 5))

#: Outcome → the referral row recorded for it: target and organisation ({area}, {force} filled in).
REFERRALS: tuple[tuple[Outcome, ReferralTarget, str], ...] = (
    (Outcome.NRM_MADE, ReferralTarget.NRM, "Single Competent Authority"),
    (Outcome.DTN_ADVISED, ReferralTarget.DUTY_TO_NOTIFY, "Home Office (duty to notify)"),
    (Outcome.CRIME_RECORDED, ReferralTarget.POLICE, "{force}"),
    (Outcome.CHILDRENS_SERVICES_REFERRAL, ReferralTarget.CHILDRENS_SERVICES, "{area} children's services"),
    (Outcome.CHILD_TRAFFICKING_GUARDIAN, ReferralTarget.CHILD_TRAFFICKING_GUARDIAN,
     "Independent Child Trafficking Guardian service"),
    (Outcome.ADULT_SAFEGUARDING_REFERRAL, ReferralTarget.ADULT_SAFEGUARDING, "{area} adult social care"),
    (Outcome.SUPPORT_PROVIDER_REFERRAL, ReferralTarget.SUPPORT_PROVIDER, "The Salvation Army"),
    (Outcome.IMMIGRATION_LIAISON, ReferralTarget.IMMIGRATION, "Immigration Enforcement"),
    (Outcome.CPS_COMPLEX_CASEWORK, ReferralTarget.CPS, "CPS Complex Casework Unit"),
)  # fmt: skip

FOLLOW_UP_NOTES: tuple[str, ...] = (
    "Call the officer back for the outcome of the visit.",
    "Check the NRM referral was submitted.",
    "Confirm the child's placement with children's services.",
    "Ask whether the person agreed to support.",
    "Check an interpreter was arranged for the interview.",
)
FOLLOW_UP_HOURS: tuple[int, ...] = (2, 4, 24, 48, 72, 168)
