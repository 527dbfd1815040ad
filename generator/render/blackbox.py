"""out/blackbox/blackbox.yml: the blackbox exporter's modules for the declared probes.

One module per fault, so each alert names one cause and a fault of one kind never burns the
availability SLO: `https_2xx` (a 2xx over verified TLS: what the SLO reads), `https_hsts`
(the same and a Strict-Transport-Security header with a positive max-age; max-age=0 tells
browsers to forget HSTS) and `http_redirect` (plain HTTP answered by a 301/308 to https://,
redirects not followed so the redirect itself is what is judged). Only the modules some probe
uses are written.
"""

from __future__ import annotations

from generator import durations
from generator.guardrails import Guardrails, Probe

HTTPS = "https_2xx"
HSTS = "https_hsts"
REDIRECT = "http_redirect"
HSTS_HEADER, HSTS_REGEXP = "Strict-Transport-Security", '(?i)max-age="?[1-9]'
LOCATION_REGEXP = "^https://"
REDIRECT_CODES = (301, 308)  # permanent; 302/307 would let browsers keep asking over HTTP


def module_of(probe: Probe) -> str:
    """The module that probes the URL itself (its redirect is probed by REDIRECT)."""
    return HSTS if probe.hsts else HTTPS


def targets(g: Guardrails) -> dict[str, list[str]]:
    """module -> URLs it probes, modules in a fixed order, URLs as declared."""
    out: dict[str, list[str]] = {HTTPS: [], HSTS: [], REDIRECT: []}
    for probe in g.probes:
        out[module_of(probe)].append(probe.url)
        if probe.redirect:
            out[REDIRECT].append(probe.redirect_url)
    return {module: urls for module, urls in out.items() if urls}


def modules(timeout: str) -> dict[str, dict]:
    tls = {"fail_if_not_ssl": True}
    return {
        HTTPS: {"prober": "http", "timeout": timeout, "http": {**tls}},
        HSTS: {"prober": "http", "timeout": timeout, "http": {
            **tls,
            "fail_if_header_not_matches": [{"header": HSTS_HEADER, "regexp": HSTS_REGEXP}],
        }},
        REDIRECT: {"prober": "http", "timeout": timeout, "http": {
            "valid_status_codes": list(REDIRECT_CODES),
            "follow_redirects": False,
            "fail_if_ssl": True,
            "fail_if_header_not_matches": [{"header": "Location", "regexp": LOCATION_REGEXP}],
        }},
    }


def render(g: Guardrails) -> dict:
    used = targets(g)
    timeout = durations.fmt(durations.parse(g.blackbox.timeout))
    return {"modules": {name: module for name, module in modules(timeout).items() if name in used}}
