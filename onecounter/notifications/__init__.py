"""Notices to applicants at each step of their dossier (e-mail, SMS, the portal's own list)."""
