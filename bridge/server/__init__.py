"""The editor side: JSON-RPC/LSP over stdio on trio, and one module per feature family."""
