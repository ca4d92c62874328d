"""Classification (L1): the model, the dispatcher, the provider maps and header parsing."""
