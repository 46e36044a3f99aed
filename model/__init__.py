"""Digitpad's runtime: preprocessing, the exported classifier and the command line."""
