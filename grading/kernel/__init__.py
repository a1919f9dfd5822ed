"""Kernels that run candidate code: the sandbox around them, how they start, and the
protocol client the engine talks to them with."""
