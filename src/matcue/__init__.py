"""matcue: voice-guided audio routines for yoga, stretching and mobility."""

import os as _os

# matcue never reaches the network. onnxruntime (under the hibari voice and the
# intelligibility judge's voice detector) collects usage telemetry on Linux since 1.29: a
# device id and an upload queue in ~/.cache/Microsoft, sent to Microsoft. Its switch is
# read once, when onnxruntime is first loaded, so it is set here, before any of ours can
# import it; it is not left to the user's environment.
_os.environ["ORT_DISABLE_TELEMETRY"] = "1"

__version__ = "0.1.0"
