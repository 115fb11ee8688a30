"""``python -m bridge.sidecar`` is ``kernel-bridge sidecar``."""

from bridge.sidecar.standalone import main

raise SystemExit(main())
