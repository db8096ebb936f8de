"""The dossier logbook of an agency (form 06 of Circular 01/2018/TT-VPCP)."""
