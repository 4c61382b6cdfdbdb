"""Trained models at work: encode/decode/sample/interpolate, the shipped models, conversions and rendering."""
