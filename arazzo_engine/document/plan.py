"""The compiled plan's types (kept here for compatibility; they live in `arazzo_engine.compile`).

Build a plan with `Document.plan(workflow_id)` or `arazzo_engine.compile.compile`.
"""

from __future__ import annotations

from ..compile.plan import ActionPlan, BodyPlan, ParameterPlan, StepPlan, WorkflowPlan

__all__ = ["ActionPlan", "BodyPlan", "ParameterPlan", "StepPlan", "WorkflowPlan"]
