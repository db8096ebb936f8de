"""Public pages of the one-stop intake: tracking a dossier."""

urlpatterns: list = []
