# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for the get-pip.py that ansible-test downloads from ci-files.testing.ansible.com.

This machine cannot reach that host. ansible-test runs this file inside each fresh venv it makes;
we bootstrap pip with the interpreter's own ensurepip (in a subprocess, so the machine's pip
configuration stays in effect), then install what ansible-test asked for from PyPI.
"""

import subprocess
import sys

DROPPED_OPTIONS = {"--no-setuptools", "--no-wheel"}


def main():
    subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], check=True, stdout=subprocess.DEVNULL)
    arguments = [argument for argument in sys.argv[1:] if argument not in DROPPED_OPTIONS]
    subprocess.run([sys.executable, "-m", "pip", "install"] + arguments, check=True)


if __name__ == "__main__":
    main()
