"""The Coalition Brief: the public's sign-up for the coalition's newsletter (double
opt-in, consent records, one-click unsubscribing) and the issues editors send through
the mail outbox. ``node.brief`` is its one entry (``service.Brief``)."""
