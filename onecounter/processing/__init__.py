"""The agencies' work on a dossier: queues, the dossier page, the staff API and
the duplicate check; and the counter intake (``counter``)."""
