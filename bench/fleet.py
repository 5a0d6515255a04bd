"""A generated fleet for benchmarks: 1,000 environments by 200 features with in-repo charts.

About 5,100 files, and about 43% of the (environment, feature) pairs targeted (≈86,000). Each
Feature.yaml declares 10 values, all computed, 5 of them also config. Deterministic: the same
arguments write the same tree.
"""

from __future__ import annotations

import json
from pathlib import Path

TENANTS = 20
ENVIRONMENTS_PER_TENANT = 50
FEATURES = 200
REGIONS = ("europe-north1", "europe-west1", "europe-west4", "oslo-dc1")
STAGES = ("dev", "staging", "prod")


def environment_labels(tenant: int, number: int) -> dict[str, str]:
    index = tenant * ENVIRONMENTS_PER_TENANT + number
    return {
        "tenant": f"t{tenant:02}",
        "env": f"e{number:02}",
        "stage": STAGES[index % 3],
        "region": REGIONS[index % 4],
        "aiven": "enabled" if index % 2 == 0 else "disabled",
        "kafka": "enabled" if index % 10 == 0 else "disabled",
    }


def environment_kind(number: int) -> str:
    return "management" if number == 0 else "onprem" if number in (1, 2) else "tenant"


# Targets cycle through these so that on average ≈43% of the fleet is reached per feature.
TARGETS: tuple[dict[str, str], ...] = (
    {"aiven": "enabled"},  # 50%
    {"stage": "prod"},  # 33%
    {},  # 100%
    {"region": "europe-west1"},  # 25%
    {"kafka": "enabled"},  # 10%
)


def feature_yaml(number: int) -> str:
    values: dict[str, dict[str, object]] = {}
    for value in range(10):
        spec: dict[str, object] = {
            "displayName": f"Value {value}",
            "computed": {"template": "{{ env.name }}-" + str(value)},
        }
        if value < 5:
            spec["config"] = {"type": "int" if value % 2 else "string"}
        values[f"group{value % 3}.value{value}"] = spec
    document: dict[str, object] = {
        "environmentKinds": ["tenant", "management", "onprem"],
        "timeout": "5m",
        "values": values,
    }
    if number % 10 == 3:  # on the one before, whose target ({}) reaches every environment
        document["dependencies"] = [{"allOf": [f"feature-{number - 1:03}"]}]
    return json.dumps(document, indent=2) + "\n"


def write_fleet(
    root: Path,
    *,
    tenants: int = TENANTS,
    features: int = FEATURES,
    targets: tuple[dict[str, str], ...] = TARGETS,
) -> dict[str, int]:
    """Write the fleet below `root`; returns counts of what was written.

    Feature n targets `targets[n % len(targets)]`; `({},)` reaches every environment.
    """
    files = 0

    def write(relative: str, text: str) -> None:
        nonlocal files
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        files += 1

    environment_ids = []
    for tenant in range(tenants):
        for number in range(ENVIRONMENTS_PER_TENANT):
            labels = environment_labels(tenant, number)
            name = labels["env"]
            environment_ids.append((f"t{tenant:02}/{name}", labels))
            write(
                f"environments/t{tenant:02}/{name}.yaml",
                "apiVersion: fasit/v1\nkind: Environment\n"
                f"tenant: t{tenant:02}\nname: {name}\nenvironmentKind: {environment_kind(number)}\n"
                f"labels: {json.dumps(labels)}\n"
                f"values:\n  domain: {name}.t{tenant:02}.example.net\n"
                f"  nodeCount: {number % 7 + 1}\n"
                f"  naisdKey: {{secretRef: t{tenant:02}-{name}-naisd-key}}\n",
            )
    configs = 0
    for feature in range(features):
        name = f"feature-{feature:03}"
        versions = ["1.0.0", "1.1.0"] if feature % 5 == 0 else ["1.0.0"]
        write(
            f"features/{name}.yaml",
            f"apiVersion: fasit/v1\nkind: Feature\nname: {name}\nchart: charts/{name}\n"
            "config:\n  group0.value0: global\n",
        )
        target = targets[feature % len(targets)]
        assignments = [
            f'apiVersion: fasit/v1\nkind: Assignment\nfeature: {name}\nversion: "1.0.0"\n'
            f"target: {json.dumps(target)}\n"
        ]
        if len(versions) == 2:
            assignments.append(
                f'apiVersion: fasit/v1\nkind: Assignment\nfeature: {name}\nversion: "1.1.0"\n'
                f"target: {json.dumps({**target, 'stage': 'dev'})}\n"
            )
        write(f"assignments/{name}.yaml", "---\n".join(assignments))
        for version in versions:
            chart = f"charts/{name}/{version}"
            write(
                f"{chart}/Chart.yaml",
                f"apiVersion: v2\nname: {name}\nversion: {version}\ndescription: bench\n",
            )
            write(f"{chart}/Feature.yaml", feature_yaml(feature))
            write(f"{chart}/values.yaml", "group0: {}\ngroup1: {}\ngroup2: {}\n")
            write(
                f"{chart}/templates/configmap.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
                "data:\n  values: {{ toJson .Values | quote }}\n",
            )
        # Per-environment config for a slice of the environments the feature reaches.
        for environment_id, labels in environment_ids[feature % 7 :: 32]:
            if all(labels.get(key) == value for key, value in target.items()):
                tenant_name, environment_name = environment_id.split("/")
                write(
                    f"configs/{name}/{tenant_name}-{environment_name}.yaml",
                    f"apiVersion: fasit/v1\nkind: Config\nfeature: {name}\n"
                    f"environment: {environment_id}\n"
                    "values:\n  group0.value0: override\n  group1.value1: 3\n",
                )
                configs += 1
    return {"files": files, "configs": configs}
