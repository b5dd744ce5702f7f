# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's network probe: sequence-numbered UDP datagrams to the guest's echo responder.

Runs on the lab's L2 segment (inside the nflab-net namespace). It sends RATE probes per second until
DURATION has passed, COUNT replies came back, or it gets SIGTERM/SIGINT, then prints one JSON
document: probes sent and lost, the longest gap between replies (the outage, to within one probe
interval), the wall clock of the first send (started_epoch) and, with --timeline, every reply's send
time (seconds after the first send) and sequence number.

  ip netns exec nflab-net python3 lab/probe.py 192.0.2.11 --rate 200 --duration 10
"""

import argparse
import json
import select
import signal
import socket
import struct
import sys
import time

PAYLOAD = struct.Struct("!4sQ")  # magic, sequence number
MAGIC = b"NFLB"


def probe(target, port, rate, duration, count, timeout):
    """Send probes and collect replies; returns the summary dict."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((target, port))
    interval = 1.0 / rate
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))
    started = time.monotonic()
    started_epoch = time.time()  # the wall clock of send time 0, to line the timeline up with other logs
    sent_at = []
    replies = {}
    next_send = started
    deadline = started + duration if duration else None
    while not stop["now"]:
        now = time.monotonic()
        if deadline and now >= deadline:
            break
        if count and len(replies) >= count:
            break
        if now >= next_send:
            try:
                sock.send(PAYLOAD.pack(MAGIC, len(sent_at)))
            except OSError:
                pass  # e.g. no ARP answer yet: counts as a lost probe
            sent_at.append(now - started)
            next_send += interval
        wait = max(0.0, min(next_send - time.monotonic(), 0.05))
        if select.select([sock], [], [], wait)[0]:
            receive(sock, replies, started)
    # Collect stragglers for replies still in flight.
    end = time.monotonic() + timeout
    while time.monotonic() < end and len(replies) < len(sent_at):
        if select.select([sock], [], [], max(0.0, end - time.monotonic()))[0]:
            receive(sock, replies, started)
    return dict(summarise(sent_at, replies, interval), started_epoch=round(started_epoch, 4))


def receive(sock, replies, started):
    try:
        data = sock.recv(64)
    except OSError:
        return
    if len(data) >= PAYLOAD.size:
        magic, sequence = PAYLOAD.unpack_from(data)
        if magic == MAGIC:
            replies.setdefault(sequence, time.monotonic() - started)


def summarise(sent_at, replies, interval):
    """Outage = the longest stretch of send times with no reply, measured between answered probes."""
    answered = sorted(replies)
    longest_gap = 0.0
    gap_start = None
    previous = None
    for sequence in answered:
        if previous is not None and sequence - previous > 1:
            gap = sent_at[sequence] - sent_at[previous]
            if gap > longest_gap:
                longest_gap, gap_start = gap, sent_at[previous]
        previous = sequence
    if answered and answered[-1] < len(sent_at) - 1:
        # unanswered probes at the end: the outage had not ended when the probe stopped
        tail_gap = sent_at[-1] - sent_at[answered[-1]]
        if tail_gap > longest_gap:
            longest_gap, gap_start = tail_gap, sent_at[answered[-1]]
    rtts = [replies[s] - sent_at[s] for s in answered]
    return {
        "sent": len(sent_at),
        "received": len(answered),
        "lost": len(sent_at) - len(answered),
        "interval_ms": round(interval * 1000, 3),
        "longest_gap_ms": round(longest_gap * 1000, 1),
        "longest_gap_start_s": None if gap_start is None else round(gap_start, 3),
        "rtt_ms_max": round(max(rtts) * 1000, 2) if rtts else None,
        "timeline": [[round(sent_at[s], 4), s] for s in answered],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target")
    parser.add_argument("--port", type=int, default=7)
    parser.add_argument("--rate", type=float, default=100.0, help="probes per second")
    parser.add_argument("--duration", type=float, default=0.0, help="seconds (0: until SIGTERM)")
    parser.add_argument("--count", type=int, default=0, help="stop after this many replies")
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for the last replies")
    parser.add_argument("--timeline", action="store_true", help="include every reply's send time")
    args = parser.parse_args()
    result = probe(args.target, args.port, args.rate, args.duration, args.count, args.timeout)
    if not args.timeline:
        del result["timeline"]
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0 if result["received"] else 1


if __name__ == "__main__":
    sys.exit(main())
