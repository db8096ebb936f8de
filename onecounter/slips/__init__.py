"""The one-stop slips of Circular 01/2018/TT-VPCP, rendered as PDF documents of a dossier."""
