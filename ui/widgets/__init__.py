"""Small reusable input widgets of the call form: each keyboard-first and named for screen readers."""
