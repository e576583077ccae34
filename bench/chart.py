"""Delivery latency against connected clients, Boxoffice and the Node peer (bench/fanout.sh).

Reads the JSON lines of one session of bench/fanout.sh (by default the file's last session)
and draws the medians over rounds of the p50 and p99 delivery latency per client count, both
targets, to an SVG. Run through bench/chart.sh, which provides matplotlib.

    python bench/chart.py RESULTS.jsonl OUT.svg [SESSION]
"""

import json
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

# A stable SVG for the same figures: no date, fixed element ids.
plt.rcParams["svg.hashsalt"] = "boxoffice-fanout"


def main(results: str, out: str, session: str | None) -> None:
    with open(results) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    if not runs:
        sys.exit(f"no runs in {results}")
    session = session or runs[-1]["session"]
    runs = [r for r in runs if r.get("session") == session]
    # (target, clients asked for) -> figure -> values over rounds
    by = defaultdict(lambda: defaultdict(list))
    for r in runs:
        key = (r["target"], r.get("clientsRequested", r["clients"]))
        by[key]["p50"].append(r["latencyMs"]["p50"])
        by[key]["p99"].append(r["latencyMs"]["p99"])
    rounds = max(len(v["p50"]) for v in by.values())
    fig, ax = plt.subplots(figsize=(7, 4.2))
    styles = {"boxoffice": ("Boxoffice", "tab:blue"), "peer": ("Node stack (peer)", "tab:orange")}
    for target, (label, color) in styles.items():
        clients = sorted(c for (t, c) in by if t == target)
        if not clients:
            continue
        for figure, dash, marker in (("p50", "-", "o"), ("p99", "--", "s")):
            ys = [statistics.median(by[(target, c)][figure]) for c in clients]
            ax.plot(clients, ys, dash, marker=marker, color=color, label=f"{label} {figure}")
    ax.set_xscale("log")
    ticks = sorted({c for (_, c) in by})
    ax.set_xticks(ticks, [f"{c:,}" for c in ticks])
    ax.minorticks_off()
    ax.set_xlabel("connected Socket.IO clients (2 instances, one event room)")
    ax.set_ylabel("delivery latency from purchase sent (ms)")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.set_title(f"Push delivery latency, median of {rounds} round(s), session {session}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, metadata={"Date": None})
    print(f"chart: {out} ({len(runs)} runs of session {session})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
