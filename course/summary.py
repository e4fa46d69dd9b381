"""A module's printable summary: its key points with their sources, and where to turn. Pure: text in, text out."""

from __future__ import annotations

from html import escape

from course.content.loader import Course, legal_sources
from course.content.schema import Module

_PAGE = """<!doctype html>
<html lang="{language}"><head><meta charset="utf-8"><title>{title}</title>
<style>
  body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; color: #1c2833; line-height: 1.45; }}
  h1 {{ font-size: 1.6rem; margin-bottom: .2rem; }} .lead {{ color: #455a64; }}
  li {{ margin: .6rem 0; }} .cite {{ color: #607d8b; font-size: .85rem; }}
  .box {{ border: 1px solid #b0bec5; border-radius: .4rem; padding: .6rem 1rem; margin-top: 1.2rem; }}
  @media print {{ body {{ margin: 0; }} a {{ color: inherit; }} }}
</style></head><body>
<h1>{title}</h1><p class="lead">{organisation} · {summary}</p>
<ol>{points}</ol>
<div class="box"><strong>{report_heading}</strong><br>{report}</div>
<div class="box"><strong>{guidelines_heading}</strong><br><a href="{guidelines_link}">{guidelines_title}</a>
(version {guidelines_version})</div>
<p class="cite">{footer}</p>
</body></html>"""


def sources_text(cites) -> str:
    known = legal_sources()
    return " · ".join(f"{cite} ({known[cite].title})" if cite in known else cite for cite in cites)


def summary_html(course: Course, module: Module, labels: dict[str, str], language: str | None = None) -> str:
    """`labels`: report_heading, guidelines_heading, footer (translated by the caller). The guidelines' title is
    in `language` where config/organisation.yaml translates it; without `language`, the module's own. The page's
    lang is the module's: most of its text is the key points."""
    organisation = course.organisation
    guidelines_title = (course.organisation_text("riktlinjer.titel", language or module.language)
                        or organisation.riktlinjer.titel)
    whistle = organisation.visselblasning
    points = "".join(f"<li>{escape(point.text)}<br><span class='cite'>{escape(sources_text(point.cite))}</span></li>"
                      for point in module.key_points)
    report = (f"{escape(whistle.e_tjanst)} · {escape(whistle.epost)} · {escape(whistle.telefon)}<br>"
              f"{escape(whistle.postadress)}")
    return _PAGE.format(
        language=escape(module.language), title=escape(module.title), organisation=escape(organisation.namn),
        summary=escape(module.summary),
        points=points, report_heading=escape(labels["report_heading"]), report=report,
        guidelines_heading=escape(labels["guidelines_heading"]), guidelines_link=escape(organisation.riktlinjer.lank),
        guidelines_title=escape(guidelines_title),
        guidelines_version=escape(organisation.riktlinjer.version), footer=escape(labels["footer"]))
