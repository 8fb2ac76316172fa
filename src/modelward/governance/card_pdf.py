"""The model card as a PDF for the model committee: the card's HTML laid out for A4 paper by
WeasyPrint (pure Python over Pango; no browser, no network).

Nothing is fetched while rendering: the card holds user-written Markdown, and an image link
in it must not make the server request a URL of the writer's choosing.
"""

from __future__ import annotations

import warnings
from typing import Any, NoReturn

from modelward.errors import InvalidInput

PRINT_STYLE = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-left { content: "modelward model card: " string(title); font-size: 8pt; color: #666 }
  @bottom-right { content: "page " counter(page) " of " counter(pages);
    font-size: 8pt; color: #666 } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; line-height: 1.35; color: #1a1a1a }
h1 { string-set: title content(); font-size: 17pt; color: #1f4e79;
  border-bottom: 2px solid #1f4e79; padding-bottom: 4pt }
h2 { font-size: 12.5pt; color: #1f4e79; margin-top: 14pt; break-after: avoid }
h3 { font-size: 10.5pt; break-after: avoid }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; break-inside: auto }
tr { break-inside: avoid }
th, td { border: 0.5pt solid #b8c4d0; padding: 2pt 4pt; text-align: left; vertical-align: top }
th { background: #e8eef5 }
code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: 8pt }
pre { background: #f4f6f8; padding: 4pt; white-space: pre-wrap }
em { color: #8a4b00 }
strong { color: #7a0000 }
img { display: none }
"""


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise InvalidInput(f"The model card PDF loads nothing from outside; {url[:80]!r} was skipped.")


def card_pdf(html_body: str, *, title: str) -> bytes:
    """PDF bytes of the card's HTML body (already inert: see `card.markdown_html`)."""
    from html import escape

    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"</head><body>{html_body}</body></html>"
    )
    with warnings.catch_warnings():
        # Without the HarfBuzz subsetter fonts are embedded whole: a larger file, same pages.
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        import weasyprint

        document = weasyprint.HTML(string=page, url_fetcher=_refuse)
        pdf: bytes = document.write_pdf(stylesheets=[weasyprint.CSS(string=PRINT_STYLE)])
    return pdf
