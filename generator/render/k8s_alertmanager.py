"""out/k8s AlertmanagerConfig: out/alertmanager/alertmanager.yml as prometheus-operator's CRD says it.

Translated from the config as built (not from the declarations again), key by key, so the operator's
routes, receivers and inhibition are the ones amtool tested; a key with no translation stops the
build instead of being dropped. What differs is what the CRD forces (README, "Kubernetes objects"):
- the file's `global` section has no place in an AlertmanagerConfig (it belongs to the Alertmanager's
  own configuration) and is left out;
- matchers are objects `{name, value, matchType}`, keys camelCase;
- a receiver's `*_file` becomes a SecretKeySelector: the Secret the Kubernetes declaration names
  (README's `alertmanager-secrets`), key the file's basename, which is what mounting that Secret at
  the files' directory gives the plain config: one Secret serves both;
- the operator adds a `namespace` matcher (and `continue: true`) to the top route and namespace
  matchers to the inhibit rules, and prefixes receiver names with `<namespace>/<name>/`; that happens
  when it loads the object, so it is not written here.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

from generator.errors import SpecError
from generator.kubernetes import Kubernetes, valid_secret_key
from generator.promql import LABEL_NAME

API_VERSION = "monitoring.coreos.com/v1alpha1"
KIND = "AlertmanagerConfig"
NAME = "obsgen"
FILE = "alertmanagerconfig.yaml"
NOT_EXPRESSIBLE = ("global",)  # see the module docstring; README lists it

# same meaning, camelCase name
_RENAMED = {
    "group_by": "groupBy", "group_wait": "groupWait", "group_interval": "groupInterval",
    "repeat_interval": "repeatInterval", "send_resolved": "sendResolved", "require_tls": "requireTLS",
    "auth_username": "authUsername", "http_config": "httpConfig", "pagerduty_configs": "pagerdutyConfigs",
    "slack_configs": "slackConfigs", "webhook_configs": "webhookConfigs", "email_configs": "emailConfigs",
    "inhibit_rules": "inhibitRules", "source_matchers": "sourceMatch", "target_matchers": "targetMatch",
}
_VERBATIM = frozenset({"route", "receiver", "continue", "name", "url", "description", "severity", "source", "class",
                       "component", "group", "channel", "text", "title", "to", "from", "smarthost", "type", "equal",
                       "authorization"})
# a file Alertmanager reads the secret from -> the CRD field holding a SecretKeySelector instead
_SECRETS = {"routing_key_file": "routingKey", "api_url_file": "apiURL", "auth_password_file": "authPassword",
            "credentials_file": "credentials", "url_file": "urlSecret"}
_MATCHER_LISTS = frozenset({"matchers", "source_matchers", "target_matchers"})


def parse_matcher(text: str) -> dict[str, str]:
    """`name="value"` as generator.render.alertmanager.matcher writes it -> {name, value, matchType}."""
    for op in ("=~", "!~", "!=", "="):
        name, sep, rest = text.partition(op)
        if sep and LABEL_NAME.match(name) and len(rest) >= 2 and rest[0] == rest[-1] == '"':
            break
    else:
        raise ValueError(f"not a quoted matcher: {text!r}")
    unescaped, chars, i = [], rest[1:-1], 0
    while i < len(chars):
        c = chars[i]
        if c == "\\" and i + 1 < len(chars):
            i += 1
            c = {"n": "\n"}.get(chars[i], chars[i])
        unescaped.append(c)
        i += 1
    return {"name": name, "value": "".join(unescaped), "matchType": op}


class _Translator:
    """One config's translation; remembers which file each Secret key came from, since two files with
    one basename would need two Secrets and README's single mount cannot hold both."""

    def __init__(self, k8s: Kubernetes, source: str) -> None:
        self.k8s = k8s
        self.source = source
        self.keys: dict[str, str] = {}

    def fail(self, message: str, where: str) -> SpecError:
        return SpecError(f"AlertmanagerConfig cannot express {message}", file=self.source, field=where)

    def secret(self, path: object, where: str) -> dict[str, str]:
        if not isinstance(path, str):
            raise self.fail("a secret that is not a file path", where)
        key = posixpath.basename(path)
        if not valid_secret_key(key):
            raise self.fail(f"the file name {key!r} as a Secret key (letters, digits, '-', '_', '.')", where)
        if self.keys.setdefault(key, path) != path:
            raise self.fail(f"{path} and {self.keys[key]} in one Secret: both would be key {key!r}", where)
        return {"name": self.k8s.secret, "key": key}

    def value(self, key: str, value: Any, where: str) -> tuple[str, Any]:
        special: dict[str, Callable[[], tuple[str, Any]]] = {
            "routes": lambda: ("routes", [self.mapping(r, f"{where}[{i}]") for i, r in enumerate(value)]),
            "receivers": lambda: ("receivers", [self.mapping(r, f"{where}[{i}]") for i, r in enumerate(value)]),
            "details": lambda: ("details", [{"key": k, "value": v} for k, v in value.items()]),
            "links": lambda: ("pagerDutyLinkConfigs", [{"href": link["href"], "alt": link["text"]} for link in value]),
        }
        if key in _MATCHER_LISTS:
            return _RENAMED.get(key, key), [parse_matcher(m) for m in value]
        if key in _SECRETS:
            return _SECRETS[key], self.secret(value, where)
        if key in special:
            return special[key]()
        if key in _RENAMED or key in _VERBATIM:
            new = _RENAMED.get(key, key)
            if isinstance(value, dict):
                return new, self.mapping(value, where)
            if isinstance(value, list) and value and isinstance(value[0], dict):
                return new, [self.mapping(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return new, value
        raise self.fail(f"{key!r}", where)

    def mapping(self, data: dict, where: str) -> dict:
        out: dict = {}
        for key, value in data.items():
            new, converted = self.value(key, value, f"{where}.{key}" if where else key)
            out[new] = converted
        return out


def render(config: dict, k8s: Kubernetes, source: str) -> dict:
    """The AlertmanagerConfig for CONFIG (alertmanager.yml as parsed), written from SOURCE (alerts/*.py)."""
    t = _Translator(k8s, source)
    spec = t.mapping({k: v for k, v in config.items() if k not in NOT_EXPRESSIBLE}, "")
    spec = {"route": spec.pop("route"), "receivers": spec.pop("receivers"), **spec}
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": k8s.metadata(NAME), "spec": spec}


def secret_keys(config: dict, k8s: Kubernetes) -> dict[str, str]:
    """Secret key -> the file it stands for: what README's Secret must hold for this config."""
    t = _Translator(k8s, "")
    t.mapping({k: v for k, v in config.items() if k not in NOT_EXPRESSIBLE}, "")
    return dict(sorted(t.keys.items()))
