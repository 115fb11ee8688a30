"""The output sidecar: a kernel's outputs, live, in a browser page on 127.0.0.1.

IOPub is a broadcast, so a page can show everything a kernel outputs — from this editor
and from any other client — where a terminal editor cannot (plots, HTML, Markdown).

- ``hub``         pure: iopub messages → page events, bounded history, bounded per-page queues
- ``prompts``     pure: open input() prompts the page may answer
- ``widgets``     pure: widget comms → page events, updates merged per model, what pages may send
- ``frames``      pure: binary WebSocket frames (widget messages with buffers)
- ``page``        the page (HTML, CSS and scripts in ``static/``, the widget bundle built from
                  sidecar-widgets/) and its Content-Security-Policy
- ``http``        hypercorn (trio worker) + a small ASGI app: token, Host and Origin checks
- ``standalone``  ``kernel-bridge sidecar --existing FILE``: its own SUB socket, sends nothing

The bridge's ``jupyter/openSidecar`` lives in ``bridge/server/sidecar.py``. docs/sidecar.md
describes it all.
"""
