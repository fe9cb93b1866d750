# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which node of a cluster an API url points at, from GET /v1/nodes (for the architecture and OS checks).

Used by redis_module_artifact (on the node or the controller) and by the module_lifecycle role's planning
(on the controller). This module is private to this collection: its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket

from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible_collections.redisops.custom_modules.plugins.module_utils import _artifact


def _resolve(host):
    """Every address ``host`` resolves to (itself when it is an address), or an empty set."""
    if not host:
        return set()
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.error, UnicodeError, ValueError):
        return set([host])
    return set([host]) | set(info[4][0].split('%', 1)[0] for info in infos)


def _is_loopback(address):
    return address.startswith('127.') or address in ('::1', 'localhost')


def _own_addresses():
    """This machine's addresses, as far as name resolution knows them."""
    addresses = set()
    for name in (socket.gethostname(), socket.getfqdn()):
        addresses |= _resolve(name)
    return set(address for address in addresses if not _is_loopback(address))


def node_addresses(node):
    names = []
    if node.get('addr'):
        names.append(node['addr'])
    external = node.get('external_addr') or []
    if not isinstance(external, list):
        external = [external]
    names.extend(name for name in external if name)
    addresses = set()
    for name in names:
        addresses |= _resolve(name)
    return addresses


def identify_node(nodes, url):
    """(node, how) for the node whose API ``url`` points at; how is 'address', 'uniform' or None.

    The url's host is resolved and matched against each node's addr and external_addr. A loopback
    url (the module runs on the node itself) also matches this machine's own addresses. When no
    single node matches but all nodes share one OS and architecture, any of them stands for it.
    """
    wanted = _resolve(urlsplit(url).hostname)
    if wanted and all(_is_loopback(address) for address in wanted):
        wanted |= _own_addresses()
    matches = [node for node in nodes if node_addresses(node) & wanted]
    if len(matches) == 1:
        return matches[0], 'address'
    platforms = set((_artifact.node_os_id(node), node.get('architecture')) for node in nodes)
    if nodes and len(platforms) == 1:
        return nodes[0], 'uniform'
    return None, None
