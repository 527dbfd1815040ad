"""Where Maestro Conductor's alerts go.

Pages (burn alerts with severity=page, and the existing TestPage) go to the conductor team's
PagerDuty service through Events API v2; tickets to its Slack channel; anything else to the
SRE mailbox. The always-firing Watchdog goes to a heartbeat (dead man's switch) URL, which
alarms when it stops hearing from Alertmanager. Secrets are files mounted from the secret store (see README, "Secrets"):
/etc/alertmanager/secrets/ in the Alertmanager pod.
"""

from generator.api import Alertmanager, Email, PagerDuty, Slack, Team, Webhook

SECRETS = "/etc/alertmanager/secrets"

alertmanager = Alertmanager(
    grafana_url="https://grafana.example.com",
    heartbeat=Webhook(name="watchdog-heartbeat", url="https://heartbeat.example.com/ping/maestro-alertmanager",
                      credentials_file=f"{SECRETS}/heartbeat-token"),
    default=Email(
        name="sre-mailbox",
        to="sre@example.com",
        sender="alertmanager@example.com",
        smarthost="smtp.example.com:587",
        auth_username="alertmanager@example.com",
        auth_password_file=f"{SECRETS}/smtp-password",
    ),
    teams=[
        Team(
            name="conductor",
            services=["maestro-conductor"],
            page=PagerDuty(name="conductor-pagerduty", routing_key_file=f"{SECRETS}/pagerduty-conductor-routing-key"),
            ticket=Slack(name="conductor-tickets", api_url_file=f"{SECRETS}/slack-conductor-webhook-url",
                         channel="#conductor-tickets"),
        ),
    ],
)
