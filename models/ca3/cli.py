"""`spikemem cam ...`: the CA3 memory from the command line."""
from __future__ import annotations

import json
import sys

from .recording_file import load_stimulus, write_recording
from .replay import replay


def add_backend_args(p):
    p.add_argument("--backend", default=None, help="backend name (default: reference); see `spikemem backends`")
    p.add_argument("--device", default=None, help="device for array backends, e.g. cpu or cuda")


def backend_options(args) -> dict:
    return {"device": args.device} if getattr(args, "device", None) else {}


def register(sub):
    cam = sub.add_parser("cam", help="the CA3 content-addressable memory")
    cam_sub = cam.add_subparsers(dest="cam_command", metavar="CAM_COMMAND")
    cam_sub.required = True

    rp = cam_sub.add_parser("replay", help="re-run a recorded stimulus (golden JSON format) and write every spike")
    rp.add_argument("input", help="JSON with cueSize_C, contSize_N, timestep_ms, simTime_ms, input_spike_times_ms")
    rp.add_argument("--out", required=True, help="where to write the recording (same format, recorded_spikes)")
    add_backend_args(rp)
    rp.set_defaults(func=_replay)


def _replay(args) -> int:
    stim = load_stimulus(args.input)
    record = replay(stim, args.backend, **backend_options(args))
    write_recording(args.out, record)
    n = sum(len(v["spikes_t_ms_neuron"]) for v in record["recorded_spikes"].values())
    print(f"replayed {stim.C}x{stim.N} memory for {stim.sim_time_ms:g} ms: {n} spikes -> {args.out}", file=sys.stderr)
    return 0
