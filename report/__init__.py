"""The HTML report partner managers read: one self-contained file per organisation, day and language (nl, en).

Plain Python and Jinja2, no Dagster and no database: `pipelines/report.py` gathers the data from the warehouse into a
`ReportData`, `report.render.render_html` turns it into one HTML file with inline CSS and inline SVG charts (no
script, no font, no image, no link that needs the network), so it opens from a mail attachment.
"""
