"""Where the Kubernetes objects of out/k8s go: the `Kubernetes` declaration, and the names and labels they get.

Declared (in a slo/*.py module, beside the SLOs) rather than passed as flags, so that the committed
out/ is what a plain `obsgen build --check` rebuilds: a namespace given on one command line and
forgotten on the next would make out/ stale for reasons nobody sees in the repo. Without a
declaration the objects go to `monitoring` with no extra labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from generator.errors import SpecError

MANAGED_BY = {"app.kubernetes.io/managed-by": "obsgen"}  # what the Probe objects carry too (k8s_probe.py)
# RFC 1123 label (namespaces) and subdomain (object names), as the API server checks them
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def valid_label_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix)):
        return False
    return len(name) <= 63 and bool(_LABEL_NAME.match(name))


def valid_label_value(value: str) -> bool:
    return value == "" or (len(value) <= 63 and bool(_LABEL_NAME.match(value)))


def valid_secret_key(key: str) -> bool:
    return len(key) <= 253 and bool(_SECRET_KEY.match(key)) and key not in (".", "..")


def object_name(*parts: str) -> str:
    """A DNS-1123 subdomain from declared names (service names and dashboard uids allow
    capitals and '_', object names do not): lower-cased, '_' to '-'. Callers check that two
    declared names did not become one."""
    name = "-".join(parts).lower().replace("_", "-")
    if len(name) > 253 or not DNS_SUBDOMAIN.match(name):
        raise SpecError(f"{name!r} is not a valid Kubernetes object name", field="name")
    return name


@dataclass(frozen=True)
class Kubernetes:
    """The namespace and extra labels of the objects in out/k8s, and the Secret holding the receivers' keys.

    `labels` are added to every object (say `release: kube-prometheus-stack` when the Prometheus and
    Alertmanager resources select rules and configs by it). `secret` is the Secret whose keys are
    the basenames of the receivers' `*_file`s: the one README ("Secrets") mounts for the plain config.
    """

    namespace: str = "monitoring"
    labels: Mapping[str, str] = field(default_factory=dict)
    secret: str = "alertmanager-secrets"
    source: str = field(default="", compare=False)

    def validate(self) -> None:
        if not isinstance(self.namespace, str) or len(self.namespace) > 63 or not DNS_LABEL.match(self.namespace):
            raise SpecError(f"{self.namespace!r} is not a Kubernetes namespace name (lower-case letters, digits "
                            "and '-', at most 63)", field="namespace")
        if not isinstance(self.labels, Mapping):
            raise SpecError("must be a dict of label names to values", field="labels")
        for key, value in self.labels.items():
            if not isinstance(key, str) or not valid_label_key(key):
                raise SpecError(f"{key!r} is not a Kubernetes label name", field="labels")
            if not isinstance(value, str) or not valid_label_value(value):
                raise SpecError(f"{value!r} is not a Kubernetes label value (at most 63 letters, digits, '-', "
                                "'_' or '.')", field=f"labels.{key}")
            if key in MANAGED_BY:
                raise SpecError("is obsgen's own label", field=f"labels.{key}")
        if not isinstance(self.secret, str) or len(self.secret) > 253 or not DNS_SUBDOMAIN.match(self.secret):
            raise SpecError(f"{self.secret!r} is not a Kubernetes Secret name", field="secret")

    def metadata(self, name: str, labels: Mapping[str, str] | None = None) -> dict:
        """An object's metadata: its own labels (e.g. the sidecar's), then the declared ones, then obsgen's."""
        merged = {**(labels or {}), **self.labels, **MANAGED_BY}
        return {"name": name, "namespace": self.namespace, "labels": merged}
