from nacl.signing import SigningKey

from protocol import Draft, circle_id, envelope_id, node_id_of, open_envelope, sign


def test_signed_envelope_verifies_and_keeps_its_id() -> None:
    key = SigningKey(b"\x07" * 32)
    env = sign(
        Draft(
            kind="message",
            scope=circle_id("general", node_id_of(key)),
            seq=1,
            prev=None,
            body={"text": "hello"},
            ts="2026-11-22T10:00:00Z",
        ),
        key,
    )
    opened, env_id = open_envelope(env.to_json())
    assert env_id == envelope_id(env)
    assert opened == env
