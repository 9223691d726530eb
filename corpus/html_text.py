"""The `extract` step: main text out of HTML (trafilatura), for WARC and HTML-folder inputs."""

from __future__ import annotations

from corpus.ledger import IS_HTML
from corpus.step import LedgerStep


class HtmlExtract(LedgerStep):
    """Replaces an HTML document's text with its main text; removes pages with none.

    Runs first whenever the input format yields HTML; plain-text documents pass untouched.
    """

    step_name = "extract"

    def filter(self, doc):
        if not doc.metadata.pop(IS_HTML, False):
            return True
        import trafilatura

        try:
            text = trafilatura.extract(doc.text, url=doc.metadata.get("url"), favor_precision=True,
                                       include_comments=False, include_tables=True)
        except Exception as e:  # lxml can fail on pathological markup; that page has no usable text
            text, error = None, f"{type(e).__name__}"
        else:
            error = None
        doc.text = text or ""
        if not text:
            return False, f"no main text in the HTML ({error})" if error else "no main text in the HTML"
        return True
