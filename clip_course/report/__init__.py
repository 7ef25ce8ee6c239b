"""The report: results schema, generated prose, facts for the abstract, the papermill runner
and the PDF printer (templates and styles in ``templates/``).
"""

__all__ = []
