"""Back-office pages of the one-stop intake: queues, dossiers, counter intake."""

urlpatterns: list = []
