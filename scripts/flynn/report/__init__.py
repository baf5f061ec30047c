"""The report: one list of findings per result file, rendered as the terminal card (card.py), the
full tables (markdown.py), one self-contained page (html.py, templates/) and data (json_form.py),
with the roofline (roofline.py). model.assemble() gathers what they show; output.write() writes it."""
