"""Every chart of the app goes through `plotly_chart` here: its texts in the page's text colour.

Streamlit's Plotly theme draws tick labels, axis titles and the colour bar's texts in #808495, 3.7:1 on white
(WCAG 1.4.3 asks 4.5:1 of text). Set on the axes themselves: a layout font alone loses to the theme's axis
fonts."""

from __future__ import annotations

import html
import textwrap

TEXT_COLOUR = "#31333f"  # Streamlit's own text colour: 12.6:1 on white


def readable(figure):
    """The figure with every text in TEXT_COLOUR (ticks, axis titles, legend, colour bars)."""
    figure.update_layout(font_color=TEXT_COLOUR, legend_font_color=TEXT_COLOUR, legend_title_font_color=TEXT_COLOUR)
    for update in (figure.update_xaxes, figure.update_yaxes):
        update(tickfont_color=TEXT_COLOUR, title_font_color=TEXT_COLOUR)
    figure.update_coloraxes(colorbar_tickfont_color=TEXT_COLOUR, colorbar_title_font_color=TEXT_COLOUR)
    return figure


def plotly_chart(container, figure, key: str) -> None:
    """`container.plotly_chart(figure)` (st or a column) with readable texts, and without Plotly's own toolbar:
    its buttons (zoom, pan, save as PNG) have English names, and the table beside every chart has the figures."""
    container.plotly_chart(readable(figure), key=key, config={"displayModeBar": False})


def label_lines(text: str, width: int = 38, lines: int = 4) -> str:
    """A long label (a choice's text on a bar chart's axis) as a few lines Plotly breaks at <br>; the text is
    escaped first, since Plotly reads tags (<b>, <a href>) in labels. The last line ends in … when cut."""
    wrapped = textwrap.wrap(" ".join(text.split()), width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][:max(0, width - 1)].rstrip() + "…"
    return "<br>".join(html.escape(line, quote=False) for line in wrapped)
