"""The embedded demo organization: a local AWS stand-in (moto server plus what moto lacks)."""
