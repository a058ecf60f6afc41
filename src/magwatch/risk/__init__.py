"""Supply risk: dependence, indices, downstream exposure, disruption scenarios, back-test."""

from magwatch.risk.indices import INDICES, MissingInput, RiskIndex, compute
from magwatch.risk.scenario import ScenarioResult, list_scenarios

__all__ = ["INDICES", "MissingInput", "RiskIndex", "ScenarioResult", "compute", "list_scenarios"]
