"""Allies (``node.allies``): people who signed up on the public site to help, what they
agreed to, the admins' list, invitations to become members, the CSV export and erasure.
Personal data of people who are not members: it never leaves the node."""
