# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Connection options of every module in this collection. Private to this collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  url:
    description:
      - Base URL of the REST API of one node of the Redis Enterprise cluster, for example V(https://node1.example.com:9443).
      - If not set, the environment variable E(REDIS_ENTERPRISE_URL) is used.
      - Credentials embedded in the URL (V(https://user:pass@host)) are removed and ignored; use O(username) and O(password).
      - Must be an C(https://) URL with a host, and no query (C(?)) or fragment (C(#)). Anything else fails the task
        before any connection is opened, because the password is sent with every request (HTTP basic authentication).
      - An C(http://) URL is refused unless O(allow_http=true).
    type: str
    default: https://localhost:9443
  allow_http:
    description:
      - Accept an C(http://) O(url). The password then travels in clear text, readable by anyone on the network path,
        and every task that uses it warns about that.
      - Redis Enterprise serves its REST API over HTTPS (port 9443); plain HTTP (port 8080) exists only where an
        administrator enabled it. Leave this V(false) unless the cluster really serves its API over plain HTTP on a
        network you trust.
      - If not set, the environment variable E(REDIS_ENTERPRISE_ALLOW_HTTP) is used.
    type: bool
    default: false
  username:
    description:
      - User for HTTP basic authentication, usually an e-mail address.
      - Reading needs a role with the C(view_cluster_modules) permission; changing modules needs C(manage_cluster_modules)
        and changing the cluster's C(allow_modules_upload) needs C(update_cluster) (both are in the C(admin) role).
      - If not set, the environment variable E(REDIS_ENTERPRISE_USERNAME) is used. Required one way or the other.
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, the environment variable E(REDIS_ENTERPRISE_PASSWORD) is used. Required one way or the other.
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the REST API.
      - Redis Enterprise uses a self-signed certificate by default; rather than setting this to V(false), point O(ca_path)
        at the cluster's CA certificate (or at the certificate of a TLS-intercepting proxy).
      - When V(false), O(ca_path) is ignored, and every task warns that the server is not authenticated (whoever
        answers at the address of O(url) receives the password).
      - If not set, the environment variable E(REDIS_ENTERPRISE_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) used to verify the REST API's certificate, instead of the system's trust store.
      - If not set, the environment variable E(REDIS_ENTERPRISE_CA_PATH) is used.
    type: path
  timeout:
    description:
      - Seconds to wait for a connection, and for each read from it.
      - If not set, the environment variable E(REDIS_ENTERPRISE_TIMEOUT) is used.
    type: int
    default: 30
requirements:
  - requests (Python library, on the host that runs the module)
notes:
  - Requests that are safe to repeat (C(GET), C(PUT), C(DELETE)) are retried up to three times with backoff when the node
    answers HTTP 503 or the connection breaks, honouring C(Retry-After). A C(POST) is retried only when the connection could
    not be opened, so a change is never sent twice.
'''
