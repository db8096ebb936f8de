"""PDF documents of a dossier: the generic machinery (``documents``: issue once,
render, store, serve; ``pdf``: WeasyPrint offline and QR codes) and the
one-stop slips of Circular 01/2018/TT-VPCP (``issue``: which step issues which
slip; ``contexts``: what each says). The results and the fee receipt are built
on the same machinery in ``onecounter.results`` and ``onecounter.payments``."""
