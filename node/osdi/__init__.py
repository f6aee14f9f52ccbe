"""The OSDI read API's side on the node (docs/developers.md, "OSDI"): the tokens the
node's admin makes for campaign tools (``tokens``) and what the API serves, adopted
campaigns and their logged actions with no member in them (``reads``); ``node.osdi``.
"""
