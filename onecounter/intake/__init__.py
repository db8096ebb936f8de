"""The one intake engine: filing a dossier online (the browser wizard and the
citizen's API) and at the counter go through the same modules.

    answers      answers held as JSON, revived for a form, read as text
    plan         a procedure's pages, questions, documents and steps (its handler's)
    validation   a page, the whole dossier, what is missing, where a draft resumes
    drafts       the draft lock; start, save a page, declare, send, delete, purge
    attachments  the documents step of an online draft
    dates        by when a dossier sent online is received, when its result is expected
    forms        the online wizard's own forms (start, documents, declaration)
    views, apis  the adapters: the pages under /file/, the API under /api/v1/me/drafts/

The counter's adapter is ``onecounter.processing.counter``. Each module imports
only those above it in this list.
"""
