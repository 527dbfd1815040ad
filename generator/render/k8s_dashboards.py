"""out/k8s ConfigMaps: each Grafana dashboard for the Grafana sidecar (kube-prometheus-stack, grafana chart).

The sidecar loads every ConfigMap carrying `grafana_dashboard: "1"` in the namespaces it watches and
writes each data key to a file Grafana's provisioning reads, so the key is `<uid>.json` and the value
the very text of out/grafana/dashboards/<uid>.json (not a re-serialisation): a dashboard looks the
same whether it is mounted from out/grafana or arrives through the sidecar.
"""

from __future__ import annotations

from collections.abc import Mapping

from generator import yamlio
from generator.errors import SpecError
from generator.grafana.outputs import DASHBOARDS
from generator.kubernetes import Kubernetes, object_name

SIDECAR_LABEL = {"grafana_dashboard": "1"}
MAX_BYTES = 1024 * 1024  # the API server refuses a ConfigMap whose data exceeds 1 MiB


def render(files: Mapping[str, str | bytes], k8s: Kubernetes) -> dict[str, tuple[dict, list[str]]]:
    """file name under k8s/ -> (ConfigMap, the sources its dashboard names)."""
    out: dict[str, tuple[dict, list[str]]] = {}
    taken: dict[str, str] = {}
    prefix = DASHBOARDS + "/"
    for path in sorted(p for p in files if p.startswith(prefix) and p.endswith(".json")):
        key = path[len(prefix):]
        uid = key.removesuffix(".json")
        name = object_name("obsgen-dashboard", uid)
        if name in taken:
            raise SpecError(f"dashboards {uid!r} and {taken[name]!r} both become ConfigMap {name!r}; Kubernetes "
                            "names are lower-case", field="uid")
        taken[name] = uid
        text = files[path]
        assert isinstance(text, str)  # dashboards are written as text (grafana/sdk.py dumps)
        if len(text.encode("utf-8")) > MAX_BYTES:
            raise SpecError(f"dashboard {uid!r} is larger than a ConfigMap may be (1 MiB)", field="uid")
        obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": k8s.metadata(name, SIDECAR_LABEL),
               "data": {key: text}}
        out[f"dashboard-{name.removeprefix('obsgen-dashboard-')}.yaml"] = (obj, yamlio.marked_sources(text))
    return out
