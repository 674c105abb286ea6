"""The views: the same results as text, tables, the JSON contract and pictures.

Only :mod:`convcalc.views.terminal` imports Rich, and only when a table is drawn.
"""
