"""Campaigns' pure rules: what a campaign object may say at its position (``rules``),
the state they read (``records``), the scoreboard (``scoreboard``) and which versions
the circle adopted (``adoption``). No I/O; imports only ``protocol`` and ``node.domain``.
"""
