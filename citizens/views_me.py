"""The citizen's own space: my record, linking, corrections, my children."""

urlpatterns: list = []
