# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Entry point: python -m tests.emulator (serve|inventory|fault|stop) ..."""

import sys

from tests.emulator.cli import main

sys.exit(main())
