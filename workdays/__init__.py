"""The working-day calendar of the city's agencies: public holidays, days off
swapped by the government and make-up working days, and the arithmetic of
deadlines in working days. Below the catalog and the one-stop, which both
count in working days; it knows nothing of either."""
