"""PDF rendering with WeasyPrint, offline and in Vietnamese.

``render_pdf(template_name, context)`` renders a Django template (the slips in
``templates/slips/``) with the print stylesheet ``templates/slips/print.css``
and returns the PDF bytes.

- The font is bundled: Be Vietnam Pro (SIL Open Font License 1.1, see
  ``static/fonts/README.md``), a typeface designed for Vietnamese, referenced
  by absolute ``file://`` URLs. The text is normalised to NFC first, so a name typed with
  combining accents ("Nguye\u0302\u0303n") is drawn with the precomposed glyph
  ("Nguyễn") rather than a base letter and a loose mark.
- Nothing is fetched from the network: ``OfflineURLFetcher`` serves ``file://``
  URLs under ``static/`` and ``data:`` URLs, and refuses everything else
  (``http(s)``, ``ftp``, files elsewhere on disk). A refused resource is
  logged and left out; the PDF is still produced.
- QR codes (``qr_data_uri``) are drawn here, as PNG ``data:`` URLs: no file,
  no network. Error correction level M, a 4-module quiet zone, 8 pixels a
  module, black on white, embedded without smoothing (``image-rendering:
  pixelated`` in the print stylesheet).
"""

from __future__ import annotations

import base64
import io
import logging
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import qrcode
import qrcode.constants
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

STATIC_DIR = Path(settings.BASE_DIR) / "static"
FONTS_DIR = STATIC_DIR / "fonts"
PRINT_STYLESHEET = "slips/print.css"

# The bundled font: one complete file per style (see static/fonts/README.md).
FONT_FILES = [
    ("normal", 400, "BeVietnamPro-Regular.ttf"),
    ("italic", 400, "BeVietnamPro-Italic.ttf"),
    ("normal", 700, "BeVietnamPro-Bold.ttf"),
]


def font_faces() -> list[dict[str, Any]]:
    """The @font-face rules of the bundled font, with absolute file:// URLs."""
    return [
        {"url": (FONTS_DIR / name).as_uri(), "style": style, "weight": weight}
        for style, weight, name in FONT_FILES
    ]


class RefusedURL(ValueError):
    """A resource the PDF renderer must not fetch."""


class OfflineURLFetcher(URLFetcher):
    """Serves ``data:`` URLs and files under ``root`` (``static/``); refuses the rest."""

    def __init__(self, root: Path = STATIC_DIR) -> None:
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=False)
        self.root = Path(root).resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                return URLFetcherResponse(path.as_uri(), body=path.read_bytes())
        self.refused.append(url)
        # Only the scheme is logged: a URL could carry personal data.
        logger.warning("PDF rendering refused to fetch a %s: URL", scheme)
        raise RefusedURL(f"{scheme}: URLs are not fetched when rendering PDFs")


def render_html(template_name: str, context: dict[str, Any]) -> str:
    """The slip as HTML, in Vietnamese, normalised to NFC."""
    with translation.override("vi"):
        html = render_to_string(template_name, context)
    return unicodedata.normalize("NFC", html)


def render_pdf(
    template_name: str,
    context: dict[str, Any],
    *,
    url_fetcher: OfflineURLFetcher | None = None,
) -> bytes:
    """Render ``template_name`` with ``context`` to PDF bytes (A4, bundled font)."""
    fetcher = url_fetcher or OfflineURLFetcher()
    base_url = STATIC_DIR.as_uri() + "/"
    font_config = FontConfiguration()
    stylesheet = CSS(
        string=render_to_string(PRINT_STYLESHEET, {"font_faces": font_faces()}),
        base_url=base_url,
        url_fetcher=fetcher,
        font_config=font_config,
    )
    html = HTML(string=render_html(template_name, context), base_url=base_url, url_fetcher=fetcher)
    return html.write_pdf(stylesheets=[stylesheet], font_config=font_config, pdf_tags=True)


# --- QR codes ---------------------------------------------------------------------------

QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QR_BORDER = 4  # modules of quiet zone, as the standard asks
QR_BOX_SIZE = 8  # pixels a module


def qr_code(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(
        error_correction=QR_ERROR_CORRECTION, box_size=QR_BOX_SIZE, border=QR_BORDER
    )
    code.add_data(text)
    code.make(fit=True)
    return code


def qr_png(text: str) -> bytes:
    """``text`` as a QR code: a black-and-white PNG."""
    image = qr_code(text).make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_data_uri(text: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(text)).decode("ascii")
