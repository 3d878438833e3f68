"""Working with other workstations: resolving conflicting saves (``merge``); later the change
feed and the outage journal (docs/architecture.md, "Shared database"). Below the GUI, above the
services it calls; no Qt."""
