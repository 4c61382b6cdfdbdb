"""Inputs to training data: discovery, parsing, segments, annotations, the prepare pipeline and its shards."""
