"""Django's locale formats replaced by the product's one date format (:mod:`sentimatrix.when`).

Pages write dates through the ``when``/``day`` filters; these formats catch what Django writes
on its own (the admin, a date left to ``{{ value }}``), so nothing shows "Dec. 7, 2026, 8:30 a.m.".
"""
