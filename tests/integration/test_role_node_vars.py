# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the role finds each node's cluster and address: from the inventory in one task, or from each host.

The read pass takes every node's module_lifecycle_cluster and module_lifecycle_node_url from hostvars (the inventory)
in one task. A play's vars or the role's parameters are not in hostvars: then the role asks every host, and the
result is the same as it always was. Both paths through ansible-playbook against the emulator.
"""


import pytest

ROLE_PLAY = """
- name: Deploy with the cluster names given by the play
  hosts: all
  gather_facts: false
  vars:
    module_lifecycle_cluster: "{{ 'site-' ~ group_names[0] }}"
  roles:
    - role: redisops.custom_modules.module_lifecycle
"""

pytestmark = pytest.mark.slow


def role_vars(emulator, testmodules):
    admin = emulator.admin
    return {"module_lifecycle_artifacts": [{"src": testmodules.v1["path"]}], "module_lifecycle_allow_uploads": "temporary",
            "module_lifecycle_username": admin["username"], "module_lifecycle_password": admin["password"],
            "module_lifecycle_ca_path": emulator.ca_file}


def test_cluster_names_from_the_play_are_asked_of_every_host(ansible_run, emulator_factory, testmodules):
    emu = emulator_factory(clusters={"c1": 2, "c2": 2})
    run = ansible_run(ROLE_PLAY, inventory=emu.inventory_path, extra_vars=role_vars(emu, testmodules))
    assert run.rc == 0, run
    assert "cluster site-c1 (2 node(s) in this run): ok" in run.output, run
    assert "cluster site-c2 (2 node(s) in this run): ok" in run.output, run
    assert "Read | this node's cluster and API address" in run.output      # the per-host path ran
    mark = emu.mark()
    again = ansible_run(ROLE_PLAY, inventory=emu.inventory_path, extra_vars=role_vars(emu, testmodules))
    assert again.rc == 0 and emu.writes(mark) == [], again


def test_the_inventory_alone_needs_no_task_per_host(ansible_run, emulator_factory, testmodules):
    emu = emulator_factory(clusters={"c1": 2, "c2": 1})
    run = ansible_run(ROLE_PLAY.replace("""  vars:
    module_lifecycle_cluster: "{{ 'site-' ~ group_names[0] }}"
""", ""), inventory=emu.inventory_path, extra_vars=role_vars(emu, testmodules))
    assert run.rc == 0, run
    assert "cluster c1 (2 node(s) in this run): ok" in run.output and "cluster c2 (1 node(s) in this run): ok" in run.output
    assert "TASK [redisops.custom_modules.module_lifecycle : Read | this node's cluster and API address]" not in run.output
