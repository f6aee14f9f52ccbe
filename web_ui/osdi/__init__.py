"""The OSDI read API (Open Supporter Data Interface, hal+json) under ``/osdi/v1/``: the
campaigns its circles adopted, for campaign tools that speak OSDI.

Reads through the Node service (``node.osdi``), never storage;
answers only requests with a live API token, never a member's session, and carries no
member's name, handle or other personal data.
"""
