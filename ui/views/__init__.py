"""Widgets that show one thing each; they hold layout, the services hold the logic."""
