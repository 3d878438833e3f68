"""Supportline's benchmarks: ``python -m bench`` runs them as one suite (bench/README.md)."""
