"""Field types of body schemas: ids, members, names, texts, times and the closed sets of
words, each with the pattern or bound msgspec checks and JSON Schema publishes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta

from protocol.ids import ACTOR_PATTERN, B64_64, CIRCLE_ID_PATTERN, HASH_PATTERN, NODE_ID_PATTERN

# Patterns end with END, not a dollar sign: msgspec matches with re.search, where that
# also matches before a final line feed. END means "end of string" in Python and in JSON
# Schema alike.
END = r"(?![\s\S])"
Id = Annotated[str, Meta(pattern=f"^{HASH_PATTERN}{END}", description="an envelope id")]
NodeId = Annotated[str, Meta(pattern=f"^{NODE_ID_PATTERN}{END}", description="a node id")]
Actor = Annotated[str, Meta(pattern=f"^{ACTOR_PATTERN}{END}", description="handle@<node id>")]
Member = Annotated[
    str,
    Meta(pattern=f"^(?:{ACTOR_PATTERN}|{NODE_ID_PATTERN}){END}", description="a member or a node"),
]
CircleId = Annotated[str, Meta(pattern=f"^{CIRCLE_ID_PATTERN}{END}", description="a circle id")]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Text = Annotated[str, Meta(max_length=20000)]
Short = Annotated[str, Meta(max_length=500)]
Sig = Annotated[str, Meta(pattern=f"^{B64_64}{END}", description="base64url signature")]
Date = dt.date
# [0-9], not \d: in Python \d also matches other scripts' digits.
Time = Annotated[
    str,
    Meta(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z" + END),
]
Role = Literal["leader", "delegate", "facilitator", "secretary"]
StanceValue = Literal["consent", "concern", "object"]
# On a proposal a member may also stand aside: neither blocking nor consenting.
ProposalStanceValue = Literal["consent", "concern", "object", "stand_aside"]
Purpose = Literal["chat", "question", "answer", "reaction"]
