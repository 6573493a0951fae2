"""The agreement matrix (issue 20): the differential fuzzer of tests/differential at thousands of
examples, counted by backend pair and feature, written to docs/agreement_matrix.md.

    .venv/bin/python -P benchmarks/agreement_matrix.py --examples 400            # every pair
    .venv/bin/python -P benchmarks/agreement_matrix.py --pairs "reference/nest" --examples 2000 --out -
    .venv/bin/python -P benchmarks/agreement_matrix.py --vocab old --findings f.jsonl   # spikemem 0.1's vocabulary

Each pair draws --examples networks (hypothesis, seed --seed, no shrinking), half of them from
the features the pair runs. A SILENT DIFFERENCE or an UNDECLARED EXCEPTION is printed and, with
--findings, written as one JSON line (pair, outcome, detail, the network) to replay with
--replay LINE_FILE. The exit status is 1 when any was found. Run from the repository root.
"""
import argparse
import collections
import datetime
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "differential"))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

import diff_networks as dn  # noqa: E402
from diff_pairs import AGREE, BY_NAME, CRASH, NA, PAIRS, REFUSED, SILENT, classify, describe  # noqa: E402

OUTCOMES = (AGREE, REFUSED, SILENT, CRASH, NA)
SIGNATURES = collections.Counter()


def run_pair(pair, vocab, n, seed_value, findings, log, require=frozenset()):
    total, by_feature = collections.Counter(), collections.defaultdict(collections.Counter)
    t0, seen = time.time(), set()

    @seed(seed_value)
    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(dn.networks(vocab, pair.bias).filter(lambda x: not require or require & dn.used(*x)))
    def one(example):
        net, duration = example
        text = describe(net, duration)
        if text in seen:                   # hypothesis may draw a network twice: count it once
            return
        seen.add(text)
        outcome, detail = classify(pair, net, duration)
        total[outcome] += 1
        for f in dn.used(net, duration):
            by_feature[f][outcome] += 1
        if outcome in (SILENT, CRASH):
            SIGNATURES[signature(pair.name, outcome, detail)] += 1
            line = {"pair": pair.name, "outcome": outcome, "detail": detail, "features": sorted(dn.used(net, duration)),
                    **json.loads(text)}
            print(f"  {outcome.upper()} {pair.name}: {detail.splitlines()[0][:200]}", file=log, flush=True)
            if findings:
                findings.write(json.dumps(line) + "\n")
                findings.flush()

    one()
    return total, by_feature, time.time() - t0


def _cell(c):
    return "/".join(str(c[o]) for o in (AGREE, REFUSED, SILENT, CRASH))


def signature(pair, outcome, detail) -> str:
    """A finding without its numbers: what the matrix's list of defects groups by."""
    first = detail.splitlines()[0] if detail else ""
    first = re.sub(r"'[^']*'", "'…'", first)
    return f"{pair} | {outcome} | " + re.sub(r"-?\d[\d.e+-]*", "#", first)[:110]


def findings_section(counts) -> list:
    if not counts:
        return ["No silent difference and no undeclared exception.", ""]
    lines = ["Silent differences and undeclared exceptions, grouped (numbers and names replaced by # and …):", "",
             "| pair | outcome | first difference | networks |", "|---|---|---|---:|"]
    for sig, c in sorted(counts.items()):
        pair, outcome, what = sig.split(" | ", 2)
        lines.append(f"| {pair} | {outcome} | `{what.replace('|', '/')}` | {c} |")
    return lines + [""]


def markdown(results, n, seed_value, elapsed, counts=None) -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()
    except OSError:
        commit = "?"
    import spikemem
    pairs = [name for name in results]
    lines = [
        "# Agreement matrix: every backend pair agrees or refuses by name",
        "",
        "The differential fuzzer of `tests/differential` (issue 20) at a larger size: random networks over",
        "the whole description space (every cell, source, connector, weight and delay form, STDP field, dt,",
        "scheme and numerics) run on each pair that promises agreement. An outcome is **agree** (the same",
        "spikes; V and weights bit-identical, or within the stated tolerance for NEST and Brian2),",
        "**refused** by name before anything runs (spikemem's `UnsupportedFeature`, `ValidationError`,",
        "`ResourceError`; Brian2's `cell.cond_exp.stiff` may come after a run whose own spikes needed more",
        "Runge-Kutta sub-steps than it may take, instead of its result), **silent** (both ran and differ)",
        "or **crash** (any other exception). The last two are defects; CI runs a few hundred examples per",
        "pair and fails on either.",
        "",
        f"Generated {datetime.date.today().isoformat()} at commit `{commit}` (spikemem {spikemem.__version__}) by",
        f"`python -P benchmarks/agreement_matrix.py --examples {n} --seed {seed_value}` in {elapsed / 60:.0f} min.",
        "",
        "| pair | examples | agree | refused | silent | crash | n/a |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (total, _, secs) in results.items():
        lines.append(f"| {name} | {sum(total.values())} | " + " | ".join(str(total[o]) for o in OUTCOMES) + " |")
    lines += [""] + findings_section(counts or {})
    lines += ["Per feature (a network counts under every feature it uses): agree/refused/silent/crash.", "",
              "| feature | " + " | ".join(pairs) + " |", "|---|" + "---:|" * len(pairs)]
    features = sorted({f for _, by, _ in results.values() for f in by})
    for f in features:
        lines.append(f"| `{f}` | " + " | ".join(_cell(results[p][1].get(f, collections.Counter())) for p in pairs) + " |")
    lines += ["", "Tolerances: reference/NEST V 1e-9 mV and weights rtol 1e-9 (IF_cond_exp, which NEST integrates",
              "with an adaptive solver: spikes within one step, docs/cells.md); reference/Brian2 V 1e-4 mV",
              "(IF_cond_exp on the Runge-Kutta sub-steps the run's conductances need, docs/cells.md);",
              "every other pair bit-identical. Features:",
              "`tests/differential/diff_networks.py`; pairs: `tests/differential/diff_pairs.py`.", ""]
    return "\n".join(lines)


def replay(path):
    bad = 0
    from spikemem.interchange.json_format import network_from_dict
    for line in open(path):
        d = json.loads(line)
        net = network_from_dict(d["network"])
        outcome, detail = classify(BY_NAME[d["pair"]], net, d["duration"])
        print(d["pair"], outcome, detail.splitlines()[0][:300] if detail else "")
        bad += outcome in (SILENT, CRASH)
    return 1 if bad else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=400, help="networks per pair (NEST a quarter, Brian2 a tenth)")
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--pairs", default="", help="comma-separated pair names (default: every available pair)")
    ap.add_argument("--vocab", choices=("full", "old"), default="full", help="old: spikemem 0.1's vocabulary only")
    ap.add_argument("--without", default="", help="comma-separated features left out of the vocabulary (to isolate a kind)")
    ap.add_argument("--require", default="", help="comma-separated features: only networks using one of them")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "docs", "agreement_matrix.md"), help="'-': stdout")
    ap.add_argument("--findings", default="", help="write each silent/crash case as a JSON line here")
    ap.add_argument("--replay", default="", help="classify the networks of a findings file again")
    a = ap.parse_args(argv)
    if a.replay:
        return replay(a.replay)
    vocab = (dn.FULL if a.vocab == "full" else dn.OLD) - {f.strip() for f in a.without.split(",")}
    wanted = [p.strip() for p in a.pairs.split(",") if p.strip()]
    findings = open(a.findings, "a") if a.findings else None
    results, t0 = {}, time.time()
    for pair in PAIRS:
        if (wanted and pair.name not in wanted) or not pair.available():
            continue
        n = a.examples if wanted else max(10, a.examples // {"reference/nest": 4, "reference/brian2": 10}.get(pair.name, 1))
        total, by, secs = run_pair(pair, vocab, n, a.seed, findings, sys.stderr,
                                     frozenset(f.strip() for f in a.require.split(",") if f.strip()))
        results[pair.name] = (total, by, secs)
        print(f"{pair.name}: {dict(total)} in {secs:.0f} s", file=sys.stderr, flush=True)
    text = markdown(results, a.examples, a.seed, time.time() - t0, SIGNATURES)
    if a.out == "-":
        print(text)
    else:
        with open(a.out, "w") as f:
            f.write(text)
    return 1 if any(t[SILENT] or t[CRASH] for t, _, _ in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
