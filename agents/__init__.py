"""Mesa agent classes: people (Worker, Student, Resident) and organizations (Union, FaithGroup).

People are thin views onto one row of the model's state arrays, so that the vectorized step and
Mesa's tools (``model.agents_by_type``, ``AgentSet.select/agg/groupby``) see the same state.
"""

from strikesim.agents.individuals import Individual, Resident, Student, Worker
from strikesim.agents.organizations import (
    CivicBody,
    CommunityOrganization,
    FaithGroup,
    LaborFederation,
    Organization,
    StudentAssociation,
    Union,
)

__all__ = [
    "CivicBody",
    "CommunityOrganization",
    "FaithGroup",
    "Individual",
    "LaborFederation",
    "Organization",
    "Resident",
    "Student",
    "StudentAssociation",
    "Union",
    "Worker",
]
