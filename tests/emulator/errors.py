# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error type of the emulator: becomes a JSON error body."""


class ApiError(Exception):
    """An HTTP error answer: {"error_code", "description", "status_code"}."""

    def __init__(self, status, error_code, description, headers=None):
        super(ApiError, self).__init__(description)
        self.status = status
        self.error_code = error_code
        self.description = description
        self.headers = headers or {}

    def body(self):
        return {"error_code": self.error_code, "description": self.description, "status_code": self.status}
