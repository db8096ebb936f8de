"""Public verification of issued documents: /verify/<token> (QR codes)."""

urlpatterns: list = []
