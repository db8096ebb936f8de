"""Back-office pages of the population database."""

urlpatterns: list = []
