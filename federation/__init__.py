"""Federation: linking, request authentication, inbox, outbox delivery and catch-up.

May import protocol and node's service interfaces; talks to other nodes through a
Transport. ``federation.service.Federation`` is what the rest of NST uses.
"""
