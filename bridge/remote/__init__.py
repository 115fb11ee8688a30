"""Remote kernels: Jupyter Server, Jupyter Kernel Gateway and Enterprise Gateway.

The kernel behind such a server is driven with the same editor API as a local one: the
routing in ``bridge.kernels.connection`` is shared, only the transport differs (its
WebSocket is ``bridge.transports.websocket``, its frames ``bridge.wire.websocket``). Here:

- ``config``        which server: url, token (never logged), TLS options; named servers from settings
- ``errors``        what went wrong, naming the server and what to check
- ``rest``          the server's REST API (httpx on trio): kernelspecs, kernels, interrupt, restart
- ``enterprise``    what Enterprise Gateway expects in a start: the user, ``KERNEL_*``, the launch timeout
- ``kernel``        one remote kernel: its server, its id there, and the REST calls on it
- ``server_kernel`` ``ServerKernel``: that kernel as one of the registry's kinds (bridge/kernels/kernel.py)
- ``reaper``        a helper process that deletes the kernels the bridge started if it is killed

httpx and trio-websocket are imported only here, and only when a remote kernel is used.
"""
