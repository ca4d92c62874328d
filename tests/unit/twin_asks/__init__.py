"""Two modules that each define ``ask``: the metrics must keep them apart."""
