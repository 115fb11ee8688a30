"""kernel-bridge: a Jupyter kernel client for editors, speaking JSON-RPC/LSP over stdio."""

__version__ = "0.1.0"
