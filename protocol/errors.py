"""Errors that say who is at fault.

``RemoteProtocolError`` means the data came from someone else (a peer, a file, a
member's input) and is wrong; it carries a stable machine-readable ``code`` that other
implementations and clients match on. ``LocalProtocolError`` means our own code called
the protocol layer wrongly; it is a bug, never a peer's fault.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable rejection codes. Values are part of the public protocol (PROTOCOL.md §9)."""

    # Size, depth and the canonical JSON subset (checked first, before any signature).
    TOO_LARGE = "json.too_large"
    TOO_DEEP = "json.too_deep"
    SYNTAX = "json.syntax"
    INVALID_UTF8 = "json.invalid_utf8"
    LONE_SURROGATE = "json.lone_surrogate"
    DUPLICATE_KEY = "json.duplicate_key"
    FLOAT = "json.float"
    NON_FINITE = "json.non_finite"
    INT_RANGE = "json.int_range"
    NON_ASCII_KEY = "json.non_ascii_key"

    # Envelope structure.
    NOT_OBJECT = "envelope.not_object"
    MISSING_FIELD = "envelope.missing_field"
    UNKNOWN_FIELD = "envelope.unknown_field"
    BAD_FIELD = "envelope.bad_field"
    UNSUPPORTED_VERSION = "envelope.unsupported_version"
    UNKNOWN_KIND = "envelope.unknown_kind"
    BAD_NODE_ID = "envelope.bad_node_id"
    WEAK_KEY = "envelope.weak_key"
    BAD_HASH = "envelope.bad_hash"
    BAD_ACTOR = "envelope.bad_actor"
    BAD_SCOPE = "envelope.bad_scope"
    BAD_TIMESTAMP = "envelope.bad_timestamp"
    BAD_SEQ = "envelope.bad_seq"
    BAD_REFS = "envelope.bad_refs"

    # Body schema of the kind.
    BODY_MISSING_FIELD = "schema.missing_field"
    BODY_UNKNOWN_FIELD = "schema.unknown_field"
    BODY_INVALID = "schema.invalid"

    # Integrity and signature.
    BODY_HASH_MISMATCH = "sig.body_hash_mismatch"
    BAD_SIGNATURE = "sig.invalid"
    BAD_ROTATION_PROOF = "sig.bad_rotation_proof"

    # Feed continuity.
    FEED_GAP = "feed.gap"
    FEED_BAD_PREV = "feed.bad_prev"
    FEED_EQUIVOCATION = "feed.equivocation"
    FEED_FROZEN = "feed.frozen"

    # Authority: may this author write this kind in this scope, given its state?
    UNKNOWN_SCOPE = "authority.unknown_scope"
    NOT_MEMBER = "authority.not_member"
    NOT_HOME = "authority.not_home"
    NOT_RECIPIENT = "authority.not_recipient"
    NOT_VIA_HOME = "authority.not_via_home"
    ROTATED_KEY = "authority.rotated_key"
    NOT_INVITED = "authority.not_invited"
    NOT_JOINED = "authority.not_joined"

    # Kind rules: what an envelope of this kind may say where it stands.
    PLAINTEXT_DIRECT = "rule.plaintext_direct"
    SEALED_IN_CIRCLE = "rule.sealed_in_circle"
    ROTATION_SCOPE = "rule.rotation_scope"
    ROTATION_CONFLICT = "rule.rotation_conflict"
    BAD_FINAL_SEQ = "rule.bad_final_seq"

    # Sealed boxes (direct messages).
    SEALED_UNDECRYPTABLE = "sealed.undecryptable"

    # Federation requests (checked before any envelope inside is looked at).
    AUTH_MISSING = "auth.missing"
    AUTH_BAD_SIGNATURE = "auth.bad_signature"
    AUTH_NOT_LINKED = "auth.not_linked"
    AUTH_DENIED = "auth.denied"
    AUTH_WRONG_DESTINATION = "auth.wrong_destination"
    AUTH_STALE = "auth.stale"
    AUTH_REPLAY = "auth.replay"
    AUTH_DIGEST_MISMATCH = "auth.digest_mismatch"
    AUTH_RATE_LIMITED = "auth.rate_limited"
    REQUEST_TOO_LARGE = "request.too_large"
    REQUEST_MALFORMED = "request.malformed"
    REQUEST_ENCODING_UNSUPPORTED = "request.encoding_unsupported"

    # Linking.
    INVITE_INVALID = "link.invite_invalid"
    INVITE_EXPIRED = "link.invite_expired"
    INVITE_USED = "link.invite_used"
    LINK_WRONG_NODE = "link.wrong_node"
    LINK_URL_UNREACHABLE = "link.url_unreachable"
    LINK_URL_WRONG_NODE = "link.url_wrong_node"

    # Reaching a peer (found by the node that sends, recorded as the peer's last error).
    PEER_UNREACHABLE = "peer.unreachable"
    PEER_WRONG_NODE = "peer.wrong_node"

    # The circle order (§13)
    ORDER_CONFLICT = "order.conflict"
    # A position sent by a node that is not the circle's current home (§13.15).
    ORDER_NOT_HOME = "order.not_home"

    # Campaign objects at their position of the circle order (§8.13): a refused effect.
    CAMPAIGN_NOT_MEMBER = "campaign.not_member"
    CAMPAIGN_UNKNOWN_CAMPAIGN = "campaign.unknown_campaign"
    CAMPAIGN_UNKNOWN_TARGET = "campaign.unknown_target"
    CAMPAIGN_UNKNOWN_DEMAND = "campaign.unknown_demand"
    CAMPAIGN_UNKNOWN_PLAN = "campaign.unknown_plan"
    CAMPAIGN_NOT_ASKED_OF = "campaign.not_asked_of"
    CAMPAIGN_NOT_CANDIDATE = "campaign.not_candidate"
    CAMPAIGN_BAD_REF = "campaign.bad_ref"
    # A decision adopting what is not a campaign object of its circle (§13.11).
    CONSENT_UNKNOWN_OBJECT = "consent.unknown_object"
    # Round controls of the consent process (§13.2): a `phase` extending or reopening a
    # round without a later deadline, a test naming no standing objection, a decision
    # with silent members below the charter's quorum, a stance recorded for another
    # member by one who is not the secretary, or naming no open meeting of the circle.
    CONSENT_BAD_DEADLINE = "consent.bad_deadline"
    CONSENT_UNKNOWN_OBJECTION = "consent.unknown_objection"
    CONSENT_BELOW_QUORUM = "consent.below_quorum"
    CONSENT_NOT_SECRETARY = "consent.not_secretary"
    CONSENT_NO_MEETING = "consent.no_meeting"
    # Roles of a circle's register (§8.2, §13.7, §13.9): a refused effect.
    CIRCLE_UNKNOWN_ROLE = "circle.unknown_role"
    SELECTION_ROLE_FULL = "selection.role_full"
    # A leader chosen by the parent circle (§13.16): the child's own election of its
    # leader, or an election for a circle that is no sub-circle of the one opening it.
    SELECTION_LEADER_BY_PARENT = "selection.leader_by_parent"
    SELECTION_NOT_CHILD = "selection.not_child"
    SELECTION_RESULT_BY_HOME = "selection.result_by_home"
    # Rules every node checks at an envelope's position (§13.12): a refused effect.
    CONSENT_WRONG_PHASE = "consent.wrong_phase"
    CONSENT_UNKNOWN_QUESTION = "consent.unknown_question"
    CONSENT_UNKNOWN_DECISION = "consent.unknown_decision"
    CIRCLE_ROLE_TAKEN = "circle.role_taken"
    CIRCLE_LEADER_IS_DELEGATE = "circle.leader_is_delegate"
    CIRCLE_NOT_MEMBER = "circle.not_member"
    # A home's membership or charter in a federated circle that no adopted decision of
    # the circle backs (§13.14): refused, and kept as a dispute.
    CIRCLE_NOT_DECIDED = "circle.not_decided"
    # A charter naming as home a node that is no active member node (§13.15).
    CIRCLE_BAD_HOME = "circle.bad_home"
    # Moving a circle's home without it (§13.15): a vote or a move before the home has
    # been silent for the charter's timeout, a move charter without the vote of every
    # active member node but the old home, a vote that cannot count.
    HOME_NOT_TIMED_OUT = "home.not_timed_out"
    HOME_VOTES_INCOMPLETE = "home.votes_incomplete"
    HOME_BAD_VOTE = "home.bad_vote"
    # An act the old home ordered after the move's last position, or never ordered: it
    # takes effect nowhere and is shown to the admins, to be sent again.
    HOME_VOID = "home.void"

    # Importing campaign targets from files (a node's command, not the wire): a file or
    # row with problems, so nothing was imported.
    IMPORT_PROBLEMS = "import.problems"

    # The OSDI read API (docs/developers.md, "OSDI"): its token, its paging, its admin.
    # (Codes, not secrets: S105 mistakes "token" in their names for a password.)
    OSDI_TOKEN_MISSING = "osdi.token_missing"  # noqa: S105
    OSDI_TOKEN_INVALID = "osdi.token_invalid"  # noqa: S105
    OSDI_BAD_PAGE = "osdi.bad_page"
    OSDI_NOT_FOUND = "osdi.not_found"
    OSDI_TOKEN_NAME = "osdi.token_name"  # noqa: S105
    OSDI_TOKEN_EXISTS = "osdi.token_exists"  # noqa: S105
    OSDI_TOKEN_UNKNOWN = "osdi.token_unknown"  # noqa: S105

    # The public site (docs/members.md, "Writing articles"): articles, their images and
    # what only an editor or an admin may do there. A node's own, never on the wire.
    ARTICLE_NOT_EDITOR = "article.not_editor"
    ARTICLE_UNKNOWN = "article.unknown"
    ARTICLE_SLUG_INVALID = "article.slug_invalid"
    ARTICLE_SLUG_TAKEN = "article.slug_taken"
    ARTICLE_INVALID = "article.invalid"
    ARTICLE_IMAGE_TYPE = "article.image_type"
    ARTICLE_IMAGE_TOO_LARGE = "article.image_too_large"
    ARTICLE_IMAGE_ALT = "article.image_alt"
    SITE_INVALID = "site.invalid"

    # Public forms (docs/admin.md, "Public forms"): what guards a stranger's sign-up, and
    # the Coalition Brief's sign-up and issues. A node's own, never on the wire.
    PUBLIC_RATE_LIMITED = "public.rate_limited"
    PUBLIC_TOO_MANY_PENDING = "public.too_many_pending"
    PUBLIC_BAD_LINK = "public.bad_link"
    PUBLIC_LINK_EXPIRED = "public.link_expired"
    BRIEF_INVALID = "brief.invalid"
    BRIEF_CLOSED = "brief.closed"
    BRIEF_UNKNOWN_ISSUE = "brief.unknown_issue"
    BRIEF_ISSUE_SENT = "brief.issue_sent"
    BRIEF_NO_ADDRESS = "brief.no_address"

    # Allies (docs/admin.md, "Allies"): people who signed up on the public site to help.
    # A node's own, never on the wire.
    ALLY_INVALID = "ally.invalid"
    ALLY_CONSENT = "ally.consent"
    ALLY_UNKNOWN = "ally.unknown"

    # Evidence of equivocation (§7.3): a pair of envelopes offered as proof.
    EQUIVOCATION_NOT_PAIR = "equivocation.not_pair"
    EQUIVOCATION_SAME_ENVELOPE = "equivocation.same_envelope"
    EQUIVOCATION_DIFFERENT_PLACE = "equivocation.different_place"

    # Exports (§7.5): the signed trailer that closes one and what it commits to.
    EXPORT_UNSIGNED = "export.unsigned"
    EXPORT_BAD_TRAILER = "export.bad_trailer"
    EXPORT_BAD_SIGNATURE = "export.bad_signature"
    EXPORT_WRONG_SIGNER = "export.wrong_signer"
    EXPORT_DUPLICATE_LINE = "export.duplicate_line"
    EXPORT_TRUNCATED = "export.truncated"
    EXPORT_EXTRA_LINES = "export.extra_lines"
    EXPORT_DIGEST_MISMATCH = "export.digest_mismatch"

    # A circle's logbook export, verified offline (§13.6).
    LOGBOOK_EMPTY = "logbook.empty"
    LOGBOOK_BAD_HEADER = "logbook.bad_header"
    LOGBOOK_BAD_LINE = "logbook.bad_line"
    LOGBOOK_BAD_ORDER = "logbook.bad_order"
    LOGBOOK_BAD_FEED = "logbook.bad_feed"
    LOGBOOK_BAD_ENTRY = "logbook.bad_entry"
    LOGBOOK_BAD_HASH = "logbook.bad_hash"
    LOGBOOK_COUNT_MISMATCH = "logbook.count_mismatch"
    LOGBOOK_HEAD_MISMATCH = "logbook.head_mismatch"
    LOGBOOK_MISMATCH = "logbook.mismatch"
    LOGBOOK_UNKNOWN_CIRCLE = "logbook.unknown_circle"
    LOGBOOK_WHICH_CIRCLE = "logbook.which_circle"


class RemoteProtocolError(Exception):
    """Input from outside broke a protocol rule; ``code`` says which, stably."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class LocalProtocolError(Exception):
    """Our own code misused the protocol API (a bug on this side, not a peer's fault)."""
