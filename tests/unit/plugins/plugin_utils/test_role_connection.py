# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the role's read pass says a connection setting came from (plugin_utils._connection)."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils._argspec import CONNECTION_ARGUMENT_SPEC
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._connection import (
    ROLE_CONNECTION_SOURCES, URL_ENVIRONMENT_IGNORED, role_argument_error, role_environment_warnings)


@pytest.mark.parametrize("environ, warnings", [
    ({}, []),
    ({"REDIS_ENTERPRISE_URL": ""}, []),
    ({"REDIS_ENTERPRISE_USERNAME": "admin@example.com"}, []),
    ({"REDIS_ENTERPRISE_URL": "https://node1:9443"}, [URL_ENVIRONMENT_IGNORED]),
])
def test_role_environment_warnings(environ, warnings):
    assert role_environment_warnings(environ) == warnings


@pytest.mark.parametrize("message, expected", [
    ("argument 'timeout' is of type <class 'str'> and we were unable to convert to int: <class 'str'> cannot be "
     "converted to an int",
     "timeout comes from the variable module_lifecycle_timeout or, when that is unset, from the environment variable "
     "REDIS_ENTERPRISE_TIMEOUT: correct the one you set."),
    ("argument 'validate_certs' is of type <class 'str'> and we were unable to convert to bool: The value 'maybe' is "
     "not a valid boolean.",
     "validate_certs comes from the variable module_lifecycle_validate_certs or, when that is unset, from the "
     "environment variable REDIS_ENTERPRISE_VALIDATE_CERTS"),
    ("argument 'allow_http' is of type <class 'str'> and we were unable to convert to bool",
     "from the environment variable REDIS_ENTERPRISE_ALLOW_HTTP"),
])
def test_role_argument_error_names_both_sources(message, expected):
    text = role_argument_error(message)
    assert text.startswith(message.rstrip(". "))
    assert expected in text


@pytest.mark.parametrize("message", [
    "argument 'nodes' is of type <class 'str'> and we were unable to convert to list",
    "missing required arguments: nodes",
    "",
])
def test_role_argument_error_leaves_other_messages(message):
    assert role_argument_error(message) == message


def test_every_connection_option_but_url_has_a_role_variable_and_its_environment_variable():
    assert sorted(ROLE_CONNECTION_SOURCES) == sorted(set(CONNECTION_ARGUMENT_SPEC) - {"url"})
    for option, (variable, environment) in ROLE_CONNECTION_SOURCES.items():
        assert variable == "module_lifecycle_" + option
        assert CONNECTION_ARGUMENT_SPEC[option]["fallback"][1] == [environment]
