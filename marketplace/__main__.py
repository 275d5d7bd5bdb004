from __future__ import annotations

from marketplace.cli import main

raise SystemExit(main())
