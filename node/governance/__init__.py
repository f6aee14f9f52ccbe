"""Governance: the sociocratic processes of a node's circles, as commands and reads."""
