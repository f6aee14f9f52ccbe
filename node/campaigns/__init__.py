"""Campaigns in the node: identifying officials, demands, actions and pressure together.

Pure parts (the import formats) read nothing but the text they are given; the service
reaches storage and the protocol.
"""
