"""The results of a decided dossier: which ones it gets (``specs``, from its
handler's ``ResultSpec``s), rendering them (``rendering``), their identity and
public check (``verification``), revoking, replacing and rendering them again
(``services``), and the verification pages (``views``)."""
