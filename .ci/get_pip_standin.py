"""Stand-in for the get-pip.py bootstrap script ansible-test downloads (CI cannot reach that host).

ansible-test runs it inside a fresh virtualenv with pip's options and the pinned packages
(pip==X, ...). ensurepip puts a pip in place; that pip then installs the pinned versions from PyPI.
"""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
subprocess.check_call([sys.executable, "-m", "pip", "install", "--upgrade"] + args)
