"""MuPoTS-3D for cnp: the official multi-person scoring (MATLAB semantics) in Python."""
