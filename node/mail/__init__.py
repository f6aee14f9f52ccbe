"""Mail: the outbox every message goes through (queued in the transaction of what caused
it, sent by a worker with retries), the SMTP client, and what members chose to receive.
Built over the node's core; ``node.service.Node`` composes it as ``node.mail``."""
