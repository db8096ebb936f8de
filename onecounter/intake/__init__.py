"""Filing a dossier: the online wizard, the citizen's API and the counter share one plan of pages, answers and drafts."""
