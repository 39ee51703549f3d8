#!/usr/bin/env python3
"""What a TCP stream through a live migration carried (tests/system/host_migrate.sh).

  tcp_stream.py check LOG [FROM TO]

LOG holds one line per line echoed back to the client: "UPTIME N" (the client guest's /proc/uptime when it read
the echo of its line N; the client's clock does not move with the migrated guest's). Prints how many lines came
back and the longest time between two echoes (among lines FROM..TO when given: a move's window); exits 0 only if
the lines are 0, 1, 2... in order, none lost or repeated, on the one connection the log was made from.
"""
import sys


def main(argv):
    if len(argv) not in (2, 4) or argv[0] != "check":
        sys.exit(__doc__)
    times, bad = [], None
    for k, line in enumerate(open(argv[1])):
        parts = line.split()
        if len(parts) != 2 or parts[1] != str(k):
            bad = "line %d is %r" % (k, line.strip()[:40])
            break
        times.append(float(parts[0]))
    lo, hi = (int(argv[2]), int(argv[3])) if len(argv) == 4 else (0, len(times))
    window = times[max(lo - 1, 0):hi + 1]
    worst = max((b - a for a, b in zip(window, window[1:])), default=0.0)
    if bad or not times:
        print("the stream is broken: %s" % (bad or "no line came back"))
        return 1
    print("%d lines echoed in order, the longest gap %.2f s" % (len(times), worst))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
