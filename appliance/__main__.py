"""``python -m appliance``."""

from __future__ import annotations

import sys

from appliance.cli import main

sys.exit(main())
