"""Public tracking of a dossier by its code."""
