"""The model: pure arithmetic on layers, blocks and networks, standard library only.

Nothing here imports Click or Rich, or does I/O beyond reading a spec file; the views
(:mod:`convcalc.views`) and the command line (:mod:`convcalc.cli`) are built on it.
"""
