"""Protocol pipeline throughput: parse + canonicalize + id + verify of ~500-byte envelopes.

Prints the pipeline's rate beside raw PyNaCl verification of the same signed bytes,
measured in the same run on one core, and the ratio (target: >= 0.85).

    .venv/bin/python -m bench.protocol [--n 4000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from nacl.signing import SigningKey

from protocol import Draft, circle_id, decode_envelope, envelope_id, loads, node_id_of, sign
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
    for data in batch:
        env = decode_envelope(loads(data))
        verify(env)
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
    raw = rate(raw_verify, pairs, args.n, args.rounds)
    print(f"envelopes: {args.n}, mean size {size:.0f} bytes, median of {args.rounds} rounds")
    print(f"raw PyNaCl verify (bound):           {raw:9.0f} /s  ({1e6 / raw:.1f} µs each)")
    print(f"parse+canonicalize+id+verify:        {pipe:9.0f} /s  ({1e6 / pipe:.1f} µs each)")
    print(f"overhead beyond verify:              {1e6 / pipe - 1e6 / raw:9.1f} µs per envelope")
    print(f"ratio to bound: {pipe / raw:.2f} (target >= 0.85)")


if __name__ == "__main__":
    main()
