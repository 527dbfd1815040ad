"""kube-state-metrics CustomResourceState config for Argo Rollout objects.

Argo Rollouts exports no canary weight metric (argoproj/argo-rollouts issue 4352), but
the Rollout object's status has it; kube-state-metrics can publish status fields of any
custom resource. The Rollout Control board reads exactly the names defined here.
Labels `namespace` and `name` match the controller's own rollout_info labels, so one
`{namespace=..., name=...}` selector reads both.
"""

from __future__ import annotations

PREFIX = "argo_rollout"
CANARY_WEIGHT = f"{PREFIX}_canary_weight"            # .status.canary.weights.canary.weight (percent)
CURRENT_STEP = f"{PREFIX}_current_step_index"        # .status.currentStepIndex
POD_HASH_INFO = f"{PREFIX}_pod_template_hash_info"   # role="stable"|"canary", rollouts_pod_template_hash
CONFIG_PATH = "k8s/kube-state-metrics-argo-rollouts.yaml"


def _gauge(name: str, help_text: str, path: list[str]) -> dict:
    return {"name": name.removeprefix(PREFIX + "_"), "help": help_text,
            "each": {"type": "Gauge", "gauge": {"path": path}}}


def _hash(role: str, path: list[str], hash_label: str) -> dict:
    return {"name": POD_HASH_INFO.removeprefix(PREFIX + "_"),
            "help": "Pod-template hash of the rollout's stable and canary ReplicaSets (role label).",
            "commonLabels": {"role": role},
            "each": {"type": "Info", "info": {"labelsFromPath": {hash_label: path}}}}


def config(hash_label: str) -> dict:
    """The document for --custom-resource-state-config-file (kube-state-metrics >= 2.5)."""
    return {
        "kind": "CustomResourceStateMetrics",
        "spec": {"resources": [{
            "groupVersionKind": {"group": "argoproj.io", "version": "v1alpha1", "kind": "Rollout"},
            "metricNamePrefix": PREFIX,
            "labelsFromPath": {"namespace": ["metadata", "namespace"], "name": ["metadata", "name"]},
            "metrics": [
                _gauge(CANARY_WEIGHT, "Traffic weight (percent) routed to the canary: "
                       ".status.canary.weights.canary.weight (set only with traffic routing).",
                       ["status", "canary", "weights", "canary", "weight"]),
                _gauge(CURRENT_STEP, "Index of the canary step the rollout is at: .status.currentStepIndex.",
                       ["status", "currentStepIndex"]),
                _hash("stable", ["status", "stableRS"], hash_label),
                _hash("canary", ["status", "currentPodHash"], hash_label),
            ],
        }]},
    }
