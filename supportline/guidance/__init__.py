"""Guidance templates: the format (model), reading and checking them (loader), which routes a
call suggests (routing), and the exact text a call's advice rested on (provenance)."""
