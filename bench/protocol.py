"""Protocol pipeline throughput: parse + canonicalize + id + verify of ~500-byte envelopes.

Prints the pipeline's rate beside raw PyNaCl verification of the same signed bytes,
measured in the same run on one core, and the ratio (target: >= 0.85).

    .venv/bin/python -m bench.protocol [--n 4000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import orjson
from nacl.signing import SigningKey

from protocol import (
    Draft,
    circle_id,
    decode_envelope,
    envelope_id,
    loads,
    node_id_of,
    parse_envelope,
    sign,
)
from protocol.envelope import verify
from protocol.ids import b64decode, sha256_id, verify_key_of


def make_envelopes(n: int) -> list[bytes]:
    keys = [SigningKey(bytes([i + 1]) * 32) for i in range(5)]
    home = node_id_of(keys[0])
    scope = circle_id("general", home)
    out = []
    for i in range(n):
        key = keys[i % len(keys)]
        author = node_id_of(key)
        env = sign(
            Draft(
                kind="proposal",
                scope=scope,
                seq=i + 1,
                prev=None if i == 0 else sha256_id(b"prev"),
                actor=f"member{i % 40}@{author}",
                refs=(sha256_id(b"ref"),),
                ts="2026-11-22T10:00:00Z",
                body={
                    "title": f"Proposal {i}: a shared calendar for campaign actions",
                    "text": "Each organization's secretary keeps its entries current; "
                    "the general circle reviews the calendar monthly.",
                },
            ),
            key,
        )
        out.append(env.to_bytes())
    return out


def pipeline(batch: list[bytes]) -> None:
    """One envelope at a time: parse, verify, id."""
    for data in batch:
        env = parse_envelope(data)
        verify(env)
        envelope_id(env)


def batched(batch: list[bytes], size: int = 100) -> None:
    """As the inbox works: a request's batch is parsed, then verified, then identified."""
    for i in range(0, len(batch), size):
        envs = [parse_envelope(d) for d in batch[i : i + size]]
        for env in envs:
            verify(env)
        for env in envs:
            envelope_id(env)


def raw_verify(pairs: list[tuple[bytes, bytes, bytes]]) -> None:
    for key, msg, sig in pairs:
        _VK[key].verify(msg, sig)


_VK: dict[bytes, object] = {}


def rate(fn: object, arg: object, n: int, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn(arg)  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return n / statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    batch = make_envelopes(args.n)
    pairs = []
    for data in batch:
        env = decode_envelope(loads(data))
        vk = verify_key_of(env.author)
        _VK[bytes(vk)] = vk
        pairs.append((bytes(vk), env.signed_bytes, b64decode(env.sig)))
    size = statistics.mean(len(b) for b in batch)
    pipe = rate(pipeline, batch, args.n, args.rounds)
    in_batches = rate(batched, batch, args.n, args.rounds)
    # Input that is valid but not canonical (indented) takes the general path.
    loose = [orjson.dumps(orjson.loads(b), option=orjson.OPT_INDENT_2) for b in batch]
    general = rate(pipeline, loose, args.n, args.rounds)
    raw = rate(raw_verify, pairs, args.n, args.rounds)
    print(f"envelopes: {args.n}, mean size {size:.0f} bytes, median of {args.rounds} rounds")
    print(f"raw PyNaCl verify (bound):              {raw:9.0f} /s  ({1e6 / raw:.1f} µs each)")
    print(
        f"pipeline, batches of 100 (as the inbox): {in_batches:7.0f} /s"
        f"  ratio {in_batches / raw:.2f}  overhead {1e6 / in_batches - 1e6 / raw:.1f} µs"
    )
    print(
        f"pipeline, one envelope at a time:       {pipe:8.0f} /s"
        f"  ratio {pipe / raw:.2f}  overhead {1e6 / pipe - 1e6 / raw:.1f} µs"
    )
    print(
        f"same envelopes indented (general path): {general:8.0f} /s"
        f"  ratio {general / raw:.2f}  overhead {1e6 / general - 1e6 / raw:.1f} µs"
    )
    print("target: ratio >= 0.85 of raw verify on one core")


if __name__ == "__main__":
    main()
