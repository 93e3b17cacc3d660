"""Reading ``/metrics`` as Prometheus does: scraped over HTTP, parsed with
prometheus-client's own parser."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


class Scrape:
    """One scrape of ``/metrics``, read by prometheus-client's parser."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.families = list(text_string_to_metric_families(text))
        self.samples = [
            Sample(s.name, dict(s.labels), s.value) for f in self.families for s in f.samples
        ]

    def value(self, sample: str, /, **labels: str) -> float:
        """The sum of the samples called ``sample`` whose labels include ``labels``."""
        return sum(s.value for s in self._matching(sample, labels))

    def has(self, sample: str, /, **labels: str) -> bool:
        return bool(self._matching(sample, labels))

    def _matching(self, sample: str, labels: dict[str, str]) -> list[Sample]:
        return [
            s
            for s in self.samples
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
        ]

    def label_values(self) -> set[str]:
        return {v for s in self.samples for v in s.labels.values()}


async def scrape(url: str, **headers: str) -> Scrape:
    async with httpx.AsyncClient() as http:
        answer = await http.get(url, headers=headers, timeout=10)
    answer.raise_for_status()
    return Scrape(answer.text)
