"""LTI 1.3, the tool side (docs/api.md §15, docs/lti.md, docs/lti-passback.md).

Kept free of imports: the submission service (which sends scores through
api.lti.passback) and the instructor's pages (which sync rosters through
api.lti.roster_sync) import this package's modules, and the blueprint of
``/lti/…`` (api.lti.views) imports the pages.
"""
