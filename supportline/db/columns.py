"""The columns of the call tables, for Core selects that read many calls at once
(``services.calls.read_records`` and ``exports.call_cells``): ``columns.calls.opened_at``."""

from __future__ import annotations

from typing import Any

from supportline.db.models import (
    Call,
    Case,
    ChecklistTick,
    FollowUp,
    Person,
    PersonLanguage,
    PersonNationality,
    Referral,
    RouteAdvice,
    User,
)

calls: Any = Call.__table__.c
cases: Any = Case.__table__.c
users: Any = User.__table__.c
persons: Any = Person.__table__.c
nationalities: Any = PersonNationality.__table__.c
languages: Any = PersonLanguage.__table__.c
routes: Any = RouteAdvice.__table__.c
ticks: Any = ChecklistTick.__table__.c
referrals: Any = Referral.__table__.c
follow_ups: Any = FollowUp.__table__.c
