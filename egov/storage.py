"""Private file storage: uploaded documents and generated PDFs.

Files live under var/private/ and have no URL: ``url()`` refuses, so no
template or serializer can leak a path. Views that check access stream them.
"""

from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view that checks access.")
