"""Remote kernels: Jupyter Server, Jupyter Kernel Gateway and Enterprise Gateway.

The kernel behind such a server is driven with the same editor API as a local one: the
routing in ``bridge.kernels.connection`` is shared, only the transport differs. Here:

- ``config``     which server: url, token (never logged), TLS options; named servers from settings
- ``errors``     what went wrong, naming the server and what to check
- ``frames``     sans-IO: Jupyter messages <-> WebSocket frames (v1 binary subprotocol, JSON)
- ``rest``       the server's REST API (httpx on trio): kernelspecs, kernels, interrupt, restart
- ``enterprise`` what Enterprise Gateway expects in a start: the user, ``KERNEL_*``, the launch timeout
- ``transport``  one WebSocket carrying a kernel's channels; reconnects after a drop; notices a
                 kernel shut down on the server by someone else (culled, deleted)
- ``kernel``     one remote kernel: its server, its id there, and the REST calls on it
- ``reaper``     a helper process that deletes the kernels the bridge started if it is killed

httpx and trio-websocket are imported only here, and only when a remote kernel is used.
"""
