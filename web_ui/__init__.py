"""The members' web UI: aiohttp views, templates, sessions and CSRF.

Calls the Node service only; never touches storage. Not yet built beyond this marker.
"""
