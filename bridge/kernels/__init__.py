"""Kernels: launching processes, connecting sockets, and the registry of live kernels."""
