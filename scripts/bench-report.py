#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Benchmark arithmetic and report for scripts/bench.sh: medians and ranges of the runs,
# ratios to DPDK testpmd, the cost model b0 + L/beta, gnuplot plots and BENCH.md.
#
#   bench-report.py summarise MODE RUNS.jsonl      -> section JSON on stdout
#   bench-report.py report RUN_DIR [--update FILE] -> RUN_DIR/{report.json,BENCH.md,*.png}
"""Turn the per-run lines of scripts/bench.sh into summaries, a report and plots."""

import json
import os
import re
import shutil
import subprocess
import sys

THROUGHPUT_MODES = ("rxdrop", "txonly", "l2fwd")
PEER = {"rxdrop": "testpmd rxonly", "txonly": "testpmd txonly", "l2fwd": "testpmd macswap"}
TARGETS = {  # minimum ratio xskflow/testpmd at 64 bytes, maximum loss (None: not a target)
    "rxdrop": (1.3, 0.01),
    "txonly": (1.15, None),
    "l2fwd": (1.3, 0.01),
}
GEN_BEGIN = "<!-- bench-report: generated, do not edit by hand: begin -->"
GEN_END = "<!-- bench-report: generated: end -->"


def median(v):
    v = sorted(x for x in v if x is not None)
    if not v:
        return None
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def stats(v):
    v = [x for x in v if x is not None]
    if not v:
        return None
    return {"median": median(v), "min": min(v), "max": max(v), "n": len(v)}


def fit(points):
    """Least squares y = b0 + slope * x over [(x, y)]; None with fewer than 2 sizes."""
    pts = [(x, y) for x, y in points if y is not None]
    if len({x for x, _ in pts}) < 2:
        return None
    n = len(pts)
    sx = sum(x for x, _ in pts)
    sy = sum(y for _, y in pts)
    sxx = sum(x * x for x, _ in pts)
    sxy = sum(x * y for x, y in pts)
    slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    b0 = (sy - slope * sx) / n
    ybar = sy / n
    ss_tot = sum((y - ybar) ** 2 for _, y in pts)
    ss_res = sum((y - b0 - slope * x) ** 2 for x, y in pts)
    return {
        "b0_ns": b0,
        "ns_per_byte": slope,
        "beta_gbytes_per_s": 1 / slope if slope > 0 else None,
        "r2": 1 - ss_res / ss_tot if ss_tot > 0 else None,
        "points": [[x, y] for x, y in pts],
    }


def load_runs(path):
    runs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                runs.append(json.loads(line))
    for r in runs:
        secs = r.get("seconds") or 0
        r["pps"] = r["delivered"] / secs if secs > 0 else None
        sent = r.get("sent")
        r["offered_pps"] = sent / secs if sent and secs > 0 else None
        r["loss"] = max(0.0, 1 - r["delivered"] / sent) if sent else None
    return runs


MAX_SINGLE = 1500   # larger sizes are the jumbo point (multi-buffer, MTU 9000)
# Tools whose CPU time per packet is fitted too: xskflow (process + NAPI thread on its
# core) and the bare XDP_DROP ceiling (its NAPI thread).
CPU_FIT = {"xskflow": "CPU ns/pkt (app+NAPI)", "xdp-drop": "CPU ns/pkt (NAPI)"}


def summarise_throughput(mode, runs):
    order = list(LAT_LABELS)
    tools = sorted({r["tool"] for r in runs},
                   key=lambda t: (order.index(t) if t in order else len(order), t))
    sizes = sorted({r["size"] for r in runs})
    summary = []
    for tool in tools:
        for size in sizes:
            rs = [r for r in runs if r["tool"] == tool and r["size"] == size]
            if not rs:
                continue
            summary.append({
                "tool": tool, "size": size, "n": len(rs),
                "pps": stats([r["pps"] for r in rs]),
                "offered_pps": stats([r["offered_pps"] for r in rs]),
                "loss": stats([r["loss"] for r in rs]),
                "cpu_ns": stats([r.get("cpu_ns") for r in rs]),
            })
            split = [(r.get("extra") or {}).get("cpu_split") for r in rs]
            split = [x for x in split if x]
            if split:
                summary[-1]["cpu_split"] = {k: stats([x[k] for x in split])
                                            for k in ("user_ns", "kernel_ns")}

    def cell(tool, size):
        for s in summary:
            if s["tool"] == tool and s["size"] == size:
                return s
        return None

    ratios = []
    for size in sizes:
        x = cell("xskflow", size)
        row = {"size": size}
        for peer in ("testpmd", "afpacket"):
            p = cell(peer, size)
            if not x or not p or not x["pps"] or not p["pps"] or not p["pps"]["median"]:
                continue
            paired = []
            for r in runs:
                if r["tool"] != "xskflow" or r["size"] != size or not r["pps"]:
                    continue
                for q in runs:
                    if q["tool"] == peer and q["size"] == size and q["rep"] == r["rep"] \
                            and q["pps"]:
                        paired.append(r["pps"] / q["pps"])
            row["vs_" + peer] = {"ratio": x["pps"]["median"] / p["pps"]["median"],
                                 "paired": stats(paired)}
        ratios.append(row)

    model = {}
    for tool in tools:
        # The fit covers the single-frame sizes; a jumbo packet is a chain (another path).
        cells = [cell(tool, s) for s in sizes if s <= MAX_SINGLE]
        wall = fit([(c["size"], 1e9 / c["pps"]["median"]) for c in cells
                    if c and c["pps"] and c["pps"]["median"]])
        entry = {"wall": wall}
        if tool in CPU_FIT:
            entry["cpu"] = fit([(c["size"], c["cpu_ns"]["median"]) for c in cells
                                if c and c["cpu_ns"]])
        model[tool] = entry

    target = None
    if mode in TARGETS:
        want, max_loss = TARGETS[mode]
        r64 = next((r for r in ratios if r["size"] == 64), {})
        x64 = cell("xskflow", 64)
        ratio = r64.get("vs_testpmd", {}).get("ratio")
        loss = x64["loss"]["median"] if x64 and x64["loss"] else None
        met = ratio is not None and ratio >= want
        if max_loss is not None:
            met = met and loss is not None and loss < max_loss
        target = {"min_ratio": want, "ratio": ratio, "max_loss": max_loss, "loss": loss,
                  "met": met}
        # The most any tool could deliver here (the kernel's path without an application)
        # against what testpmd delivered: a ratio target above it is the rig's limit.
        c64, p64 = cell("xdp-drop", 64), cell("testpmd", 64)
        if c64 and p64 and c64["pps"] and p64["pps"] and p64["pps"]["median"]:
            target["rig_max_ratio"] = c64["pps"]["median"] / p64["pps"]["median"]
    return {"mode": mode, "peer": PEER.get(mode), "sizes": sizes, "tools": tools,
            "summary": summary, "ratios": ratios, "model": model, "target": target,
            "runs": runs}


LAT_LABELS = {
    "xskflow": "xskflow, sleeping in poll() (AF_XDP ping-pong, reflector: xskflow l2fwd)",
    "xskflow-spin": "xskflow, spinning (--wait spin on both ends)",
    "kernel-udp": "kernel UDP sockets, blocking recv() (echo server)",
    "kernel-udp-spin": "kernel UDP sockets, spinning (MSG_DONTWAIT loop on both ends)",
}


def summarise_latency(runs):
    order = list(LAT_LABELS)
    tools = sorted({r["tool"] for r in runs},
                   key=lambda t: (order.index(t) if t in order else len(order), t))
    summary = {}
    for tool in tools:
        rs = [r for r in runs if r["tool"] == tool]
        summary[tool] = {k: stats([r["latency"].get(k) for r in rs])
                         for k in ("p50_us", "p90_us", "p99_us", "p999_us", "min_us", "max_us")}
        summary[tool]["samples"] = sum(r["latency"].get("samples", 0) for r in rs)
        summary[tool]["lost"] = sum(r["latency"].get("lost", 0) for r in rs)
        # The CDF of the repetition with the median p50 stands for the tool in the plot.
        p50 = summary[tool]["p50_us"]["median"] if summary[tool]["p50_us"] else None
        best = min(rs, key=lambda r: abs((r["latency"].get("p50_us") or 0) - (p50 or 0)))
        summary[tool]["cdf"] = best.get("cdf")
    # Like for like: each tool sleeping while it waits, and each spinning. The target
    # compares each tool at its best (the lower p50 of its two ways of waiting).
    def p50(tool):
        v = summary.get(tool, {}).get("p50_us")
        return v["median"] if v else None
    pairs = {}
    for wait, x, k in (("sleep", "xskflow", "kernel-udp"),
                       ("spin", "xskflow-spin", "kernel-udp-spin")):
        if p50(x) and p50(k):
            pairs[wait] = {"xskflow_p50_us": p50(x), "kernel_udp_p50_us": p50(k),
                           "ratio": p50(x) / p50(k)}
    target = None
    xs = [v for v in (p50("xskflow"), p50("xskflow-spin")) if v]
    ks = [v for v in (p50("kernel-udp"), p50("kernel-udp-spin")) if v]
    if xs and ks:
        target = {"xskflow_p50_us": min(xs), "kernel_udp_p50_us": min(ks),
                  "ratio": min(xs) / min(ks), "met": min(xs) < min(ks), "pairs": pairs}
    return {"mode": "latency", "tools": tools, "summary": summary, "target": target,
            "runs": runs}


def cmd_summarise(mode, path):
    if mode == "latency":
        runs = []
        with open(path) as f:
            runs = [json.loads(x) for x in f if x.strip()]
        out = summarise_latency(runs)
    else:
        out = summarise_throughput(mode, load_runs(path))
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


# ---- report ---------------------------------------------------------------------------

def load(run_dir, name):
    try:
        with open(os.path.join(run_dir, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt_mpps(s):
    if not s:
        return "–"
    return "%.3f [%.3f–%.3f]" % (s["median"] / 1e6, s["min"] / 1e6, s["max"] / 1e6)


def fmt_pct(s):
    if not s:
        return "–"
    return "%.2f%% [%.2f–%.2f]" % (100 * s["median"], 100 * s["min"], 100 * s["max"])


def fmt_num(v, f="%.2f"):
    return f % v if v is not None else "–"


def cell(sec, tool, size):
    for s in sec["summary"]:
        if s["tool"] == tool and s["size"] == size:
            return s
    return None


def copy_share(model, size, gbps):
    """Share of the per-packet cost at @size spent in one copy of the frame at @gbps."""
    if not model or not gbps:
        return None
    total = model["b0_ns"] + model["ns_per_byte"] * size
    return (size / gbps) / total if total > 0 else None


def gnuplot(script, run_dir):
    gp = shutil.which("gnuplot")
    if not gp:
        return False
    path = os.path.join(run_dir, "plots.gp")
    with open(path, "w") as f:
        f.write(script)
    return subprocess.run([gp, "plots.gp"], cwd=run_dir).returncode == 0


def plots(run_dir, secs, lat):
    tools_style = {"xskflow": 1, "testpmd": 2, "afpacket": 3, "offered": 4, "xdp-drop": 6}
    script = ['set terminal pngcairo size 1500,560 font "sans,10"',
              "set logscale x 2", "set xrange [48:2048]", "set key top right",
              "set grid", "set xlabel 'frame size (bytes, without FCS)'"]
    # pps vs size
    script += ["set output 'pps_vs_size.png'", "set multiplot layout 1,3"]
    for mode in THROUGHPUT_MODES:
        sec = secs.get(mode)
        if not sec:
            continue
        plots_ = []
        for tool in sec["tools"]:
            dat = "%s-%s.pps.dat" % (mode, tool)
            with open(os.path.join(run_dir, dat), "w") as f:
                for size in sec["sizes"]:
                    c = cell(sec, tool, size)
                    if c and c["pps"]:
                        f.write("%d %.6f %.6f %.6f\n" % (size, c["pps"]["median"] / 1e6,
                                                         c["pps"]["min"] / 1e6,
                                                         c["pps"]["max"] / 1e6))
            plots_.append("'%s' using 1:2:3:4 with yerrorlines lt %d title '%s'"
                          % (dat, tools_style.get(tool, 5), tool))
        if mode != "txonly":
            dat = "%s-offered.pps.dat" % mode
            with open(os.path.join(run_dir, dat), "w") as f:
                for size in sec["sizes"]:
                    offered = [c["offered_pps"]["median"] for c in sec["summary"]
                               if c["size"] == size and c["offered_pps"]]
                    if offered:
                        f.write("%d %.6f\n" % (size, median(offered) / 1e6))
            plots_.append("'%s' using 1:2 with lines dt 2 lt 4 title 'generator offered'" % dat)
        script += ["set title '%s: delivered Mpps (median, min-max)'" % mode,
                   "set ylabel 'Mpps'", "set yrange [0:*]", "plot " + ", ".join(plots_)]
    script += ["unset multiplot"]
    # ns per packet vs size, with the fitted lines
    script += ["set output 'ns_vs_size.png'", "set multiplot layout 1,3",
               "unset logscale x", "set xrange [0:1600]", "set key below font ',8'"]
    for mode in THROUGHPUT_MODES:
        sec = secs.get(mode)
        if not sec:
            continue
        plots_ = []
        fn = 0
        for tool in sec["tools"]:
            for kind in ("wall", "cpu"):
                m = sec["model"].get(tool, {}).get(kind)
                if not m:
                    continue
                fn += 1
                dat = "%s-%s-%s.ns.dat" % (mode, tool, kind)
                with open(os.path.join(run_dir, dat), "w") as f:
                    for x, y in m["points"]:
                        f.write("%d %.3f\n" % (x, y))
                label = tool + (" CPU" if kind == "cpu" else " 1e9/pps")
                script.append("f%d(x) = %.6f + %.8f * x" % (fn, m["b0_ns"], m["ns_per_byte"]))
                lt = tools_style.get(tool, 5)
                plots_.append("'%s' using 1:2 with points pt %d lt %d title '%s'"
                              % (dat, 7 if kind == "wall" else 5, lt, label))
                plots_.append("f%d(x) with lines lt %d dt %d title sprintf('%s: %%.0f ns + %%.3f ns/B x L', %.3f, %.5f)"
                              % (fn, lt, 1 if kind == "wall" else 3, label, m["b0_ns"],
                                 m["ns_per_byte"]))
        if plots_:
            script += ["set title '%s: ns per packet, fit b0 + L/beta'" % mode,
                       "set ylabel 'ns/packet'", "set yrange [0:*]",
                       "plot " + ", ".join(plots_)]
    script += ["unset multiplot", "set key inside top right font ',10'"]
    # latency CDF
    if lat:
        plots_ = []
        for tool, s in lat["summary"].items():
            if s.get("cdf") and os.path.exists(os.path.join(run_dir, s["cdf"])):
                plots_.append("'%s' using 1:2 with lines lw 2 title '%s (p50 %.1f us)'"
                              % (s["cdf"], tool, s["p50_us"]["median"]))
        if plots_:
            script += ['set terminal pngcairo size 800,520 font "sans,10"',
                       "set output 'latency_cdf.png'", "set logscale x 10", "unset logscale y",
                       "set xrange [*:*]", "set yrange [0:1]", "set key bottom right",
                       "set xlabel 'round-trip time (us)'", "set ylabel 'fraction of pings'",
                       "set title 'round trip, 64-byte frames: AF_XDP ping-pong vs kernel UDP'",
                       "plot " + ", ".join(plots_)]
    return gnuplot("\n".join(script) + "\n", run_dir)


def markdown(run_dir, secs, lat, mem, steer, machine, plotted):
    md = []
    w = md.append
    quick = machine.get("quick") if machine else None
    w("## Results of run %s%s" % (machine.get("run", "?") if machine else "?",
                                  " (QUICK=1: short, fewer repetitions)" if quick else ""))
    w("")
    if machine:
        w("Machine: %s, %s CPUs, kernel %s, commit %s. %s" % (
            machine.get("cpu_model", "?"), machine.get("cpus", "?"), machine.get("kernel", "?"),
            machine.get("commit", "?"), machine.get("rig", "")))
        if machine.get("dpdk"):
            w("DPDK %s (Debian), net_af_xdp PMD; trafgen %s." % (machine["dpdk"],
                                                                 machine.get("trafgen", "?")))
        if machine.get("load"):
            w("Load average when the run started: %s (other work on the machine shows up as "
              "noise; the ratios are measured in the same run, alternating)." % machine["load"])
        w("")
    w("### 64-byte frames: xskflow vs DPDK testpmd (AF_XDP PMD), same run, alternating")
    w("")
    w("| mode | xskflow Mpps | peer | peer Mpps | ratio (of medians) | paired ratio [min–max] "
      "| xskflow loss | peer loss | target | met |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for mode in THROUGHPUT_MODES:
        sec = secs.get(mode)
        if not sec:
            w("| %s | not run | | | | | | | | |" % mode)
            continue
        x, p = cell(sec, "xskflow", 64), cell(sec, "testpmd", 64)
        r = next((r for r in sec["ratios"] if r["size"] == 64), {}).get("vs_testpmd", {})
        t = sec.get("target") or {}
        tgt = ">= %.2fx" % t["min_ratio"] if t else "–"
        if t and t.get("max_loss") is not None:
            tgt += ", loss < %.0f%%" % (100 * t["max_loss"])
        paired = r.get("paired")
        w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            mode, fmt_mpps(x and x["pps"]), sec["peer"], fmt_mpps(p and p["pps"]),
            fmt_num(r.get("ratio"), "%.2fx"),
            "%.2fx [%.2f–%.2f]" % (paired["median"], paired["min"], paired["max"])
            if paired else "–",
            fmt_pct(x and x["loss"]) if mode != "txonly" else "–",
            fmt_pct(p and p["loss"]) if mode != "txonly" else "–",
            tgt, ("yes" if t.get("met") else "**no**") +
            (" (rig allows %.2fx)" % t["rig_max_ratio"] if "rig_max_ratio" in t else "")))
    if lat and lat.get("target"):
        t = lat["target"]
        w("| latency | p50 %.1f us | kernel UDP | p50 %.1f us | %.2fx | %s | | | p50 below kernel "
          "UDP (each at its best) | %s |" % (
              t["xskflow_p50_us"], t["kernel_udp_p50_us"], t["ratio"],
              ", ".join("%s %.2fx" % (w_, pr["ratio"])
                        for w_, pr in sorted(t.get("pairs", {}).items())),
              "yes" if t["met"] else "**no**"))
    w("")
    w("Delivered packets/s: receive modes count what the tool received (rxdrop) or what came "
      "back to the generator's side (l2fwd) over the generator's run time; txonly counts "
      "what reached the XDP_DROP sink per second. Loss = 1 - delivered/sent by the "
      "generator. What the generator gets out depends on the receiver: trafgen's TX ring "
      "slots come back only once the receiving side has taken the skb, so a receiver that "
      "leaves packets in veth's queue while it is busy (xskflow with --napi-yield) holds the "
      "generator back instead of dropping; one that takes every packet into NAPI and drops "
      "it there (RX ring full) lets it run faster and loses the difference.")
    w("")
    rx = secs.get("rxdrop")
    if rx and cell(rx, "afpacket", 64):
        a = cell(rx, "afpacket", 64)
        r = next((r for r in rx["ratios"] if r["size"] == 64), {}).get("vs_afpacket", {})
        w("AF_PACKET (TPACKET_V3) receive baseline at 64 bytes: %s Mpps, loss %s; xskflow "
          "rxdrop delivers %s of that." % (fmt_mpps(a["pps"]), fmt_pct(a["loss"]),
                                           fmt_num(r.get("ratio"), "%.2fx")))
        w("")

    if rx and cell(rx, "xdp-drop", 64):
        c = cell(rx, "xdp-drop", 64)
        share = ["%s %.0f%%" % (t, 100 * cell(rx, t, 64)["pps"]["median"] / c["pps"]["median"])
                 for t in ("xskflow", "testpmd", "afpacket")
                 if cell(rx, t, 64) and cell(rx, t, 64)["pps"] and c["pps"]["median"]]
        w("Receive ceiling of the rig (tool `xdp-drop`: a bare XDP_DROP program on the DUT "
          "interface, no socket, no application; the same generator): %s Mpps at 64 bytes, "
          "its NAPI thread %s ns per packet on the DUT core. Share of it delivered: %s. "
          "Like every figure here it moves with the VM's phases (a repetition that caught a "
          "faster phase can exceed it), but at its median it bounds rxdrop's ratio to "
          "testpmd at %s in this run."
          % (fmt_mpps(c["pps"]), fmt_num(c["cpu_ns"] and c["cpu_ns"]["median"], "%.0f"),
             ", ".join(share) or "–",
             fmt_num((rx.get("target") or {}).get("rig_max_ratio"), "%.2fx")))
        w("")
    tx = secs.get("txonly")
    if tx and any(cell(tx, t, 64) and cell(tx, t, 64).get("cpu_split")
                  for t in ("xskflow", "testpmd")):
        parts = []
        for t in ("xskflow", "testpmd"):
            sp = cell(tx, t, 64) and cell(tx, t, 64).get("cpu_split")
            if sp and sp["user_ns"] and sp["kernel_ns"]:
                u, k = sp["user_ns"]["median"], sp["kernel_ns"]["median"]
                parts.append("%s %.0f ns (user space %.0f, kernel %.0f: %.0f%%)"
                             % (t, u + k, u, k, 100 * k / (u + k) if u + k else 0))
        w("txonly, where the DUT core's time goes at 64 bytes (CPU time of the tool per "
          "packet it handed to veth, medians): %s. The kernel's part is the copy-mode "
          "transmit inside sendto() (an skb allocated, the frame copied, veth's transmit, "
          "the completion), the same code for both tools; only the user-space part is the "
          "tool's own." % ("; ".join(parts) or "–"))
        w("")

    w("### Size sweep: delivered Mpps, median [min–max], and ratio to testpmd")
    w("")
    if any(sz > MAX_SINGLE for sec in secs.values() if isinstance(sec, dict)
           for sz in sec.get("sizes", [])):
        w("Above %d bytes: MTU 9000 on both ends, xskflow with `--multi-buffer` (chains of "
          "4096-byte frames), generator `xskflow bench txonly --multi-buffer` in b (trafgen "
          "sends ~800 frames/s of that size). No testpmd there: the AF_XDP PMD of DPDK 22.11 "
          "has no multi-buffer, its XDP program cannot attach at that MTU ('veth: Peer MTU is "
          "too large to set XDP'). The cost model fits the single-frame sizes only."
          % MAX_SINGLE)
        w("")
    for mode in THROUGHPUT_MODES:
        sec = secs.get(mode)
        if not sec:
            continue
        w("**%s** (peer: %s)" % (mode, sec["peer"]))
        w("")
        head = "| size | " + " | ".join(sec["tools"]) + " | xskflow/testpmd |"
        if "afpacket" in sec["tools"]:
            head += " xskflow/afpacket |"
        w(head)
        w("|---" * (head.count("|") - 1) + "|")
        for size in sec["sizes"]:
            row = "| %d | " % size + " | ".join(
                fmt_mpps(cell(sec, t, size) and cell(sec, t, size)["pps"]) for t in sec["tools"])
            r = next((r for r in sec["ratios"] if r["size"] == size), {})
            row += " | %s |" % fmt_num(r.get("vs_testpmd", {}).get("ratio"), "%.2fx")
            if "afpacket" in sec["tools"]:
                row += " %s |" % fmt_num(r.get("vs_afpacket", {}).get("ratio"), "%.2fx")
            w(row)
        w("")

    w("### Cost model: ns_per_packet(L) = b0 + L/beta")
    w("")
    gb = mem["umem"]["gbytes_per_s"] if mem else None
    if mem:
        w("memcpy on this machine (DUT CPU): cache-hot %.1f GB/s; frame by frame through "
          "two 16 MiB UMEM-sized regions %.1f GB/s (fit c0 + L/B over 64–4000 bytes)."
          % (mem["hot"]["gbytes_per_s"], mem["umem"]["gbytes_per_s"]))
        w("")
    w("| mode | tool | measure | b0 (ns) | beta (GB/s) | R² | one copy at 64 B | at 1500 B | "
      "copies in the slope |")
    w("|---|---|---|---|---|---|---|---|---|")
    for mode in THROUGHPUT_MODES:
        sec = secs.get(mode)
        if not sec:
            continue
        for tool in sec["tools"]:
            for kind in ("wall", "cpu"):
                m = sec["model"].get(tool, {}).get(kind)
                if not m:
                    continue
                s64, s1500 = copy_share(m, 64, gb), copy_share(m, 1500, gb)
                w("| %s | %s | %s | %.0f | %s | %s | %s | %s | %s |" % (
                    mode, tool, "1e9/pps" if kind == "wall" else CPU_FIT[tool],
                    m["b0_ns"], fmt_num(m["beta_gbytes_per_s"]), fmt_num(m["r2"]),
                    fmt_num(s64 and 100 * s64, "%.1f%%"), fmt_num(s1500 and 100 * s1500, "%.1f%%"),
                    fmt_num(gb and m["ns_per_byte"] * gb, "%.1f")))
    w("")
    w("'One copy' is L / (memcpy bandwidth) as a share of the fitted cost at that size: what "
      "zero-copy saves per copy it removes on a NIC that supports it (veth is copy mode "
      "only). 'Copies in the slope' = fitted ns/byte × memcpy bandwidth: how many "
      "frame-sized copies (or equivalent per-byte work) the path makes.")
    w("")
    if lat:
        w("### Latency: one 64-byte frame in flight, round trip (us), median [min–max] of reps")
        w("")
        w("| tool | p50 | p90 | p99 | p99.9 | samples | lost |")
        w("|---|---|---|---|---|---|---|")
        for tool, s in lat["summary"].items():
            def q(k):
                v = s.get(k)
                return "%.1f [%.1f–%.1f]" % (v["median"], v["min"], v["max"]) if v else "–"
            w("| %s | %s | %s | %s | %s | %d | %d |" % (
                LAT_LABELS.get(tool, tool), q("p50_us"), q("p90_us"),
                q("p99_us"), q("p999_us"), s["samples"], s["lost"]))
        w("")
    if steer:
        r = steer.get("ratio", {})
        w("### Steering cost (BPF_PROG_RUN)")
        w("")
        w("cost(%s rules)/cost(%s rule): match %.2fx, miss %.2fx (target <= %.1fx: %s)." % (
            r.get("rules_hi"), r.get("rules_lo"), r.get("match", 0), r.get("miss", 0),
            steer.get("target", {}).get("max_ratio", 0),
            "met" if steer.get("target", {}).get("met") else "not met"))
        w("")
    if plotted:
        w("### Plots")
        w("")
        for png, what in (("pps_vs_size.png", "delivered Mpps vs frame size, per tool"),
                          ("ns_vs_size.png", "ns per packet vs frame size, with the fitted lines"),
                          ("latency_cdf.png", "round-trip time CDF")):
            if os.path.exists(os.path.join(run_dir, png)):
                w("- %s: `%s`" % (what, os.path.join(run_dir, png)))
        w("")
    return "\n".join(md) + "\n"


def cmd_report(run_dir, update):
    secs = {m: load(run_dir, m) for m in THROUGHPUT_MODES}
    secs = {m: s for m, s in secs.items() if s}
    lat, mem = load(run_dir, "latency"), load(run_dir, "memcpy")
    steer, machine = load(run_dir, "steer_cost"), load(run_dir, "machine") or {}
    plotted = plots(run_dir, secs, lat)
    text = markdown(run_dir, secs, lat, mem, steer, machine, plotted)
    with open(os.path.join(run_dir, "BENCH.md"), "w") as f:
        f.write(text)
    targets = {m: s.get("target") for m, s in secs.items()}
    if lat:
        targets["latency"] = lat.get("target")
    with open(os.path.join(run_dir, "report.json"), "w") as f:
        json.dump({"targets": targets, "plots": plotted}, f, indent=1)
    sys.stdout.write(text)
    if update:
        try:
            with open(update) as f:
                doc = f.read()
        except OSError:
            doc = "# Benchmarks\n\n%s\n%s\n" % (GEN_BEGIN, GEN_END)
        block = "%s\n%s%s" % (GEN_BEGIN, text, GEN_END)
        pat = re.compile(re.escape(GEN_BEGIN) + ".*?" + re.escape(GEN_END), re.S)
        doc = pat.sub(lambda _: block, doc) if pat.search(doc) else doc + "\n" + block + "\n"
        with open(update, "w") as f:
            f.write(doc)
    return 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "summarise":
        cmd_summarise(argv[2], argv[3])
        return 0
    if len(argv) >= 3 and argv[1] == "report":
        update = argv[4] if len(argv) >= 5 and argv[3] == "--update" else None
        return cmd_report(argv[2], update)
    sys.stderr.write(__doc__ + "\nusage: bench-report.py summarise MODE RUNS.jsonl | "
                     "report RUN_DIR [--update BENCH.md]\n")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
