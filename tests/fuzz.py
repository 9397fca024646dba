"""Fuzz a running service from its own OpenAPI document with schemathesis: every operation, valid
(positive) and schema-breaking (negative) inputs, and no answer may be a 5xx."""

from collections import Counter
from dataclasses import dataclass, field

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

# 503 `unavailable` is a documented answer (a node or deposit_check is down), not a crash.
DOCUMENTED_503 = {"unavailable"}


@dataclass
class FuzzReport:
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    unavailable: Counter[str] = field(default_factory=Counter)  # 503 messages: what was down
    samples: dict[int, str] = field(default_factory=dict)  # one answer per status, for the report

    @property
    def total(self) -> int:
        return sum(self.cases.values())


def fuzz(
    base_url: str,
    examples: dict[str, int],
    default: int = 20,
    conformance: bool = False,
    path_parameters: dict[str, dict[str, str]] | None = None,
) -> FuzzReport:
    """Run `examples[operation label]` cases per mode (positive and negative) for each operation
    (`default` for the rest); raise on the first 5xx other than a documented 503 `unavailable`.
    `path_parameters[label]` adds a positive pass with those path parameters fixed (e.g. a real
    ticket id), so the generated bodies get past the path's own validation."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    report = FuzzReport()
    checks = [not_a_server_error]
    if conformance:
        from schemathesis.specs.openapi.checks import response_schema_conformance

        checks.append(response_schema_conformance)
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        passes = [(GenerationMode.POSITIVE, None), (GenerationMode.NEGATIVE, None)]
        if path_parameters and label in path_parameters:
            passes.append((GenerationMode.POSITIVE, path_parameters[label]))
        for mode, fixed in passes:

            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
            @settings(
                max_examples=examples.get(label, default),
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
            )
            def run(case: schemathesis.Case) -> None:
                response = case.call(base_url=base_url, timeout=30)
                report.cases[label] += 1  # noqa: B023 - run() is called within this iteration only
                report.statuses[response.status_code] += 1
                report.samples.setdefault(
                    response.status_code, f"{case.method} {case.formatted_path}: {response.text[:160]}"
                )
                if response.status_code == 503 and response.json().get("error", {}).get("code") in DOCUMENTED_503:
                    report.unavailable[response.json()["error"]["message"][:120]] += 1
                    return
                case.validate_response(response, checks=checks)

            try:
                run()
            except Unsatisfiable:  # no way to break the schema of an operation without inputs (GET /healthz)
                if mode is GenerationMode.POSITIVE:
                    raise
    return report
