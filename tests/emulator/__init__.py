# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Multi-node, multi-cluster emulator of the Redis Enterprise 8.x REST API (custom modules part).

Run it with ``python -m tests.emulator serve ...`` from the repository root; see README.md.
"""
