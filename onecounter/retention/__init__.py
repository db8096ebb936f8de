"""Retention of dossiers and results: destruction lists with four eyes (docs/retention.md)."""
