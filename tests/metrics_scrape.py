"""Read a Prometheus /metrics page into samples, for the metrics tests of both services."""

from collections.abc import Iterable

import httpx
from prometheus_client.parser import text_string_to_metric_families


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of the page at `url`."""
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def assert_no_secret_in_labels(
    samples: Iterable[tuple[str, tuple[tuple[str, str], ...]]], secrets: Iterable[str]
) -> None:
    """No label value of any sample contains one of `secrets` (credentials, tx hashes, ticket ids, addresses)."""
    forbidden = [s.lower() for s in secrets if s]
    for name, labels in samples:
        for key, label_value in labels:
            for secret in forbidden:
                assert secret not in label_value.lower(), f"{name}{{{key}={label_value!r}}} leaks {secret!r}"
