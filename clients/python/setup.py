"""Packaging hook: generates deepeverest_client/_proto from the repository's protos/ before the
package is built, so an installed client always matches the protos it was built from.

    /usr/bin/python3 -m pip wheel --no-build-isolation --no-deps -w dist clients/python
"""

import os
import sys

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_protos  # noqa: E402


class BuildWithProtos(build_py):
    """build_py that regenerates the gRPC/protobuf modules first."""

    def run(self) -> None:
        build_protos.generate()
        self.packages = sorted(set(self.packages or []) | set(find_packages(include=["deepeverest_client*"])))
        super().run()


setup(cmdclass={"build_py": BuildWithProtos}, packages=find_packages(include=["deepeverest_client*"]))
