"""iamkit: assess the IAM security of AWS accounts and organizations, and report on it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("iamkit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+src"
