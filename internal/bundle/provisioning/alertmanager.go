package provisioning

import "fmt"

// alertmanager routes the bundle's alerts by their severity label: critical
// pages, warning opens a ticket or chat message, info goes to a digest
// repeated at most daily. The receivers' webhook URLs are placeholders on
// the reserved .invalid domain, so nothing is sent until they are replaced.
func alertmanager(generatedBy string) []byte {
	return fmt.Appendf(nil, `%s# Alertmanager configuration for the SRE value alerts, routed by severity.
# REPLACE every http://example.invalid/ URL with your pager, ticket/chat and
# digest webhooks (or merge the routes below into your own configuration);
# until then Alertmanager reports failed notifications for these receivers.
route:
  receiver: sre-value-digest
  group_by: [alertname, team]
  group_wait: 1m
  group_interval: 5m
  repeat_interval: 24h
  routes:
    - matchers: ['severity="critical"']
      receiver: sre-value-pager
      repeat_interval: 4h
    - matchers: ['severity="warning"']
      receiver: sre-value-ticket
      repeat_interval: 24h
    - matchers: ['severity="info"']
      receiver: sre-value-digest
      group_wait: 30m
      group_interval: 24h
      repeat_interval: 168h
receivers:
  - name: sre-value-pager
    webhook_configs:
      - url: http://example.invalid/REPLACE-with-pager-webhook
        send_resolved: true
  - name: sre-value-ticket
    webhook_configs:
      - url: http://example.invalid/REPLACE-with-ticket-or-chat-webhook
        send_resolved: true
  - name: sre-value-digest
    webhook_configs:
      - url: http://example.invalid/REPLACE-with-digest-webhook
        send_resolved: false
`, header(generatedBy))
}
