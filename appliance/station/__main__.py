"""``python -m appliance.station``: the station commands without the pipeline's."""

from __future__ import annotations

import sys

from appliance.station.cli import main

sys.exit(main())
