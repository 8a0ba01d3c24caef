"""What a run and a sweep show: evaluation, confusion matrices, curves, MACs, gradient flow,
the model summary and the comparison of runs."""
