"""Search sources: the platforms a keyword monitor asks for mentions of its query.

A source answers one question, "what is new about this query since last time?", in pages of
:class:`~scraping.collectors.base.CollectedItem`. The keyword monitor's collector runs the
sources a monitor chose, stores each one's ``since`` cursor, and removes the same mention
found on two platforms.
"""
