"""The CA3 content-addressable memory of Casanueva-Morato et al. (arXiv 2310.05868)."""
from .builder import MODEL_POPULATIONS, PLASTIC, RECORDED, build_cam
from .memory import CA3Memory
from .params import CA3Params
from .recording_file import Stimulus, load_stimulus, parse_stimulus, recording_dict, write_recording
from .replay import replay

__all__ = ["MODEL_POPULATIONS", "PLASTIC", "RECORDED", "build_cam", "CA3Memory", "CA3Params", "Stimulus", "load_stimulus",
           "parse_stimulus", "recording_dict", "write_recording", "replay"]
