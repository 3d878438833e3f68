"""Small guidance templates for the GUI tests, written to a temporary folder by each test (the
shipped content is not relied on). Everything in them is invented test text."""

from __future__ import annotations

from pathlib import Path

VICTIM = """+++
id = "victim"
route = "victim"
title = "Victim support (test)"
version = "1.0"
reviewed = 2026-11-20
sources = ["Test source A"]
sample = true

[[checklist]]
id = "safety"
text = "Victim safe now"
required = true

[[checklist]]
id = "nrm"
text = "NRM explained"

[[checklist]]
id = "interpreter"
text = "Interpreter arranged"
required = true

[[when]]
reason = "Every call is screened for victim support"
always = true
+++
# Victim support

Original body: the potential victim's safety comes first. Safety again.
"""

VICTIM_CHILD = """+++
id = "victim-child"
route = "victim"
title = "Victim support: a child (test)"
version = "1.0"
reviewed = 2026-11-20
sources = ["Test source B"]
sample = true
parent = "victim"

[[checklist]]
id = "childrens-services"
text = "Children's services told"
required = true

[[when]]
reason = "A child, or age disputed"
has_child = true
+++
# A child

Children's services at once.
"""

LEGAL = """+++
id = "legal"
route = "legal"
title = "Legal position (test)"
version = "2.1"
reviewed = 2026-11-21
sources = ["Test source C"]
sample = false

[[checklist]]
id = "s45"
text = "Section 45 defence raised with the officer"
required = true

[[checklist]]
id = "solicitor"
text = "Solicitor told"

[[when]]
reason = "A suspect may be a victim"
suspect_may_be_victim = true
+++
# Legal position

The *statutory defence* may apply.
"""

TACTICAL = """+++
id = "tactical"
route = "tactical"
title = "Tactical advice (test)"
version = "1.0"
reviewed = 2026-11-22
sources = ["Test source D"]
sample = true

[[checklist]]
id = "plan"
text = "Safety plan agreed"
required = true

[[when]]
reason = "Crisis on the line"
urgency_any = ["crisis"]
+++
# Tactical

Act now.
"""

BROKEN = """+++
id = "broken"
route = "victim"
title = "Broken"
version = "1.0"
reviewed = 2026-11-20
sources = ["x"]
sample = true
colour = "red"

[[checklist]]
id = "a"
text = "A"
+++
Body.
"""

ALL = {"victim": VICTIM, "victim-child": VICTIM_CHILD, "legal": LEGAL, "tactical": TACTICAL}


def write_templates(folder: Path, *, broken: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ALL.items():
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
    if broken:
        (folder / "broken.md").write_text(BROKEN, encoding="utf-8")
    return folder
