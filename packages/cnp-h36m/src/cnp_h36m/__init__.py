"""Human3.6M for cnp: dataset (``h36m``), protocol evaluators, synthetic data, folder checks."""
