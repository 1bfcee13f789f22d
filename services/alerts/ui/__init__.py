"""The analyst console: server-rendered pages (Jinja2) over the alert service's own rules.

Served by the alert service at ``/`` (``doxwatch up`` and ``doxwatch alerts`` alike). Pages
work without JavaScript; ``console.js`` adds keyboard shortcuts and htmx (from npm, see
README "Console") swaps reviewed posts out without reloading.
"""
