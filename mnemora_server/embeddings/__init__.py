"""Text embedders behind one protocol: local ONNX (default), hash (tests), remote (later)."""
